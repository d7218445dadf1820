//! A catalogue in the shape of a Shopify product export, read row by row into products
//! and their packs: a product's packs are rows repeating its handle, and only the first
//! need carry its title, body, vendor and type (a later row that names a different
//! title is a mistake). Every problem is kept with its line number, so a dry run lists
//! them all at once.
//!
//! The caller splits the file into records (the server uses the `csv` crate); this
//! module only decides what each record means.

use super::catalog_entry::{self, ProductStatus, VariantFields, VariantInput};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A problem with the file, where a person can find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// 1 is the header.
    pub line: u64,
    /// The column (as the file names it), or empty for the whole row.
    pub field: String,
    pub message: String,
}

/// Columns read; others of Shopify's export (SEO, Google Shopping, images, metafields,
/// …) are passed over.
const REQUIRED: [&str; 4] = ["Handle", "Title", "Variant SKU", "Variant Price"];
const READ: [&str; 11] = [
    "Body (HTML)",
    "Vendor",
    "Type",
    "Status",
    "Published",
    "Option1 Value",
    "Variant Grams",
    "Variant Inventory Qty",
    "Variant Compare At Price",
    "Variant Tax Code",
    "Variant Weight Unit",
];
/// The rest of Shopify's columns: known, and not used.
const PASSED_OVER: [&str; 30] = [
    "Tags",
    "Product Category",
    "Option1 Name",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant Inventory Tracker",
    "Variant Inventory Policy",
    "Variant Fulfillment Service",
    "Variant Requires Shipping",
    "Variant Taxable",
    "Variant Barcode",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Gift Card",
    "SEO Title",
    "SEO Description",
    "Variant Image",
    "Cost per item",
    "Price / International",
    "Compare At Price / International",
    "Included / India",
    "Included / International",
    "Price / India",
    "Compare At Price / India",
    "Collection",
    "Variant Option1 Value",
    "Product ID",
];

/// Where each read column is in the file.
#[derive(Debug, Clone)]
pub struct Columns {
    at: HashMap<&'static str, usize>,
    width: usize,
}

/// Reads the header (line 1): every required column present, none unknown.
pub fn columns(header: &[&str]) -> Result<Columns, Vec<Problem>> {
    let mut at = HashMap::new();
    let mut problems = Vec::new();
    for (i, raw) in header.iter().enumerate() {
        let name = raw.trim().trim_start_matches('\u{feff}');
        if let Some(known) = REQUIRED.iter().chain(READ.iter()).find(|k| **k == name) {
            if at.insert(*known, i).is_some() {
                problems.push(Problem { line: 1, field: name.into(), message: "appears twice".into() });
            }
        } else if !(PASSED_OVER.contains(&name)
            || name.contains(" / ")
            || name.contains("metafields")
            || name.starts_with("Google Shopping"))
        {
            problems.push(Problem {
                line: 1,
                field: name.into(),
                message: "is not a column of a Shopify product export".into(),
            });
        }
    }
    for r in REQUIRED {
        if !at.contains_key(r) {
            problems.push(Problem { line: 1, field: r.into(), message: "is missing".into() });
        }
    }
    if problems.is_empty() { Ok(Columns { at, width: header.len() }) } else { Err(problems) }
}

/// A pack read from one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportVariant {
    pub line: u64,
    pub fields: VariantFields,
    /// Stock to have on hand after the import; `None` leaves it as it is.
    pub quantity: Option<i64>,
}

/// A product read from the rows of one handle.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProduct {
    pub line: u64,
    pub handle: String,
    pub title: String,
    pub body: String,
    pub vendor: String,
    pub product_type: String,
    pub status: ProductStatus,
    pub variants: Vec<ImportVariant>,
}

/// Builds products from rows in file order.
pub struct Reader {
    columns: std::sync::Arc<Columns>,
    products: Vec<ImportProduct>,
    by_handle: HashMap<String, usize>,
    skus: HashMap<String, u64>,
    problems: Vec<Problem>,
    rows: u64,
}

/// A file's meaning: its products, or every problem found.
#[derive(Debug)]
pub struct Read {
    pub products: Vec<ImportProduct>,
    pub problems: Vec<Problem>,
    pub rows: u64,
}

impl Read {
    pub fn variant_count(&self) -> usize {
        self.products.iter().map(|p| p.variants.len()).sum()
    }
}

impl Reader {
    pub fn new(columns: Columns) -> Reader {
        Reader {
            columns: std::sync::Arc::new(columns),
            products: Vec::new(),
            by_handle: HashMap::new(),
            skus: HashMap::new(),
            problems: Vec::new(),
            rows: 0,
        }
    }

    pub fn problem(&mut self, line: u64, field: &str, message: impl Into<String>) {
        self.problems.push(Problem { line, field: field.into(), message: message.into() });
    }

    /// One record of the file at `line` (the header is line 1).
    pub fn push<'r>(&mut self, line: u64, record: &[&'r str]) {
        self.rows += 1;
        if record.iter().all(|f| f.trim().is_empty()) {
            return;
        }
        if record.len() != self.columns.width {
            let width = self.columns.width;
            self.problem(line, "", format!("has {} fields where the header has {width}", record.len()));
            return;
        }
        let columns = self.columns.clone();
        let get = |name: &str| -> &'r str {
            columns.at.get(name).and_then(|i| record.get(*i)).map(|s| (*s).trim()).unwrap_or("")
        };
        let handle = get("Handle").to_string();
        if !catalog_entry::is_slug(&handle) {
            self.problem(line, "Handle", "must be lowercase letters, digits and hyphens (at most 80)");
            return;
        }
        let title = get("Title").to_string();
        let index = match self.by_handle.get(&handle) {
            Some(&i) => {
                let p = &self.products[i];
                if !title.is_empty() && title != p.title {
                    let first = p.line;
                    let message =
                        format!("says \"{title}\" where line {first} of the same handle says \"{}\"", p.title);
                    self.problem(line, "Title", message);
                    return;
                }
                i
            }
            None => match self.first_row(line, &handle, &title, &get) {
                Some(p) => {
                    self.products.push(p);
                    self.by_handle.insert(handle.clone(), self.products.len() - 1);
                    self.products.len() - 1
                }
                None => return,
            },
        };
        let option = get("Option1 Value");
        let grams = get("Variant Grams");
        let unit = get("Variant Weight Unit");
        let grams = match (unit, grams.parse::<f64>()) {
            // Shopify writes grams as a number of grams; the weight unit only says how it
            // showed it. A decimal gram count is rounded, never below 1.
            (_, Ok(g)) if g.fract() != 0.0 && g > 0.0 => (g.round().max(1.0) as i64).to_string(),
            _ => grams.to_string(),
        };
        let label = match option {
            "" | "Default Title" => grams_label(&grams),
            o => o.to_string(),
        };
        let input = VariantInput {
            label,
            sku: get("Variant SKU").to_string(),
            price: get("Variant Price").to_string(),
            compare_at_price: get("Variant Compare At Price").to_string(),
            grams,
            gst_rate: get("Variant Tax Code").to_string(),
        };
        let quantity = match get("Variant Inventory Qty") {
            "" => Ok(None),
            q => match q.parse::<i64>() {
                Ok(n) if (0..=super::stock_adjustment::MAX_DELTA).contains(&n) => Ok(Some(n)),
                _ => Err("must be a whole number, zero or more".to_string()),
            },
        };
        let mut bad = false;
        if let Err(m) = &quantity {
            self.problem(line, "Variant Inventory Qty", m.clone());
            bad = true;
        }
        let fields = match input.parse() {
            Ok(f) => Some(f),
            Err(errors) => {
                for (k, m) in errors {
                    self.problem(line, column_of(&k), m);
                }
                None
            }
        };
        let (Some(fields), false) = (fields, bad) else { return };
        if let Some(first) = self.skus.insert(fields.sku.to_lowercase(), line) {
            self.problem(line, "Variant SKU", format!("{} is also on line {first}", fields.sku));
            return;
        }
        self.products[index].variants.push(ImportVariant { line, fields, quantity: quantity.ok().flatten() });
    }

    fn first_row<'r>(
        &mut self,
        line: u64,
        handle: &str,
        title: &str,
        get: &dyn Fn(&str) -> &'r str,
    ) -> Option<ImportProduct> {
        let mut ok = true;
        if title.is_empty() {
            self.problem(line, "Title", "is required on a handle's first row");
            ok = false;
        } else if title.chars().count() > catalog_entry::MAX_NAME_CHARS {
            self.problem(line, "Title", format!("must be at most {} characters", catalog_entry::MAX_NAME_CHARS));
            ok = false;
        }
        let vendor = get("Vendor").to_string();
        if vendor.is_empty() {
            self.problem(line, "Vendor", "names the farm, and is required on a handle's first row");
            ok = false;
        }
        let product_type = get("Type").to_string();
        if product_type.is_empty() {
            self.problem(line, "Type", "names the shelf (category), and is required on a handle's first row");
            ok = false;
        }
        let body = get("Body (HTML)").to_string();
        if body.chars().count() > catalog_entry::MAX_DESCRIPTION_CHARS {
            self.problem(
                line,
                "Body (HTML)",
                format!("must be at most {} characters", catalog_entry::MAX_DESCRIPTION_CHARS),
            );
            ok = false;
        }
        let status = match (get("Status").to_ascii_lowercase().as_str(), get("Published").to_ascii_lowercase().as_str())
        {
            ("active", _) => Some(ProductStatus::Published),
            ("draft", _) => Some(ProductStatus::Draft),
            ("archived", _) => Some(ProductStatus::Archived),
            ("", "false") => Some(ProductStatus::Draft),
            ("", _) => Some(ProductStatus::Published),
            _ => None,
        };
        if status.is_none() {
            self.problem(line, "Status", "must be active, draft or archived");
            ok = false;
        }
        ok.then(|| ImportProduct {
            line,
            handle: handle.to_string(),
            title: title.to_string(),
            body,
            vendor,
            product_type,
            status: status.expect("checked"),
            variants: Vec::new(),
        })
    }

    pub fn finish(mut self) -> Read {
        let empty: Vec<(u64, String)> =
            self.products.iter().filter(|p| p.variants.is_empty()).map(|p| (p.line, p.handle.clone())).collect();
        for (line, handle) in empty {
            if !self.problems.iter().any(|p| p.line == line) {
                self.problem(line, "Handle", format!("{handle} has no pack without problems"));
            }
        }
        self.problems.sort_by_key(|p| p.line);
        Read { products: self.products, problems: self.problems, rows: self.rows }
    }
}

fn grams_label(grams: &str) -> String {
    match grams.parse::<i64>() {
        Ok(g) if g >= 1000 && g % 1000 == 0 => format!("{} kg", g / 1000),
        Ok(g) if g > 0 => format!("{g} g"),
        _ => "1 pack".into(),
    }
}

/// The file's column for a field of `VariantInput`.
fn column_of(field: &str) -> &'static str {
    match field {
        "sku" => "Variant SKU",
        "price" => "Variant Price",
        "compareAtPrice" => "Variant Compare At Price",
        "grams" => "Variant Grams",
        "gstRate" => "Variant Tax Code",
        _ => "Option1 Value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;

    const HEADER: &str = "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,Variant Compare At Price,Image Src,Status";

    fn read(lines: &[&str]) -> Result<Read, Vec<Problem>> {
        let header: Vec<&str> = HEADER.split(',').collect();
        let mut r = Reader::new(columns(&header)?);
        for (i, l) in lines.iter().enumerate() {
            let rec: Vec<&str> = l.split(',').collect();
            r.push(i as u64 + 2, &rec);
        }
        Ok(r.finish())
    }

    #[test]
    fn rows_of_a_handle_make_one_product() {
        let r = read(&[
            "first-flush,First Flush,<p>Spring</p>,Glenburn,Tea,,TRUE,Size,100 g,FF-100,100,40,350.00,,,active",
            "first-flush,,,,,,,,250 g,FF-250,250,12,800,900,,",
            "carrots,Carrots,,Ooty,Vegetables,,FALSE,Title,Default Title,CAR-1000,1000,,60,,,active",
        ])
        .unwrap();
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.products.len(), 2);
        let tea = &r.products[0];
        assert_eq!(tea.variants.len(), 2);
        assert_eq!(tea.variants[1].fields.compare_at, Some(Money::from_rupees(900)));
        assert_eq!(tea.variants[0].quantity, Some(40));
        assert_eq!(r.products[1].variants[0].fields.label, "1 kg");
        assert_eq!(r.products[1].status, ProductStatus::Published, "Status wins over Published when given");
        assert_eq!(r.variant_count(), 3);
    }

    #[test]
    fn a_wrong_column_is_named() {
        let e = columns(&["Handle", "Title", "Variant SKU", "Variant Prise"]).unwrap_err();
        assert!(e.iter().any(|p| p.field == "Variant Prise" && p.line == 1));
        assert!(e.iter().any(|p| p.field == "Variant Price" && p.message == "is missing"));
    }

    #[test]
    fn a_handle_whose_rows_disagree_on_the_title_is_refused() {
        let r =
            read(&["tea,Tea,,Glenburn,Tea,,TRUE,,,T-1,100,1,100,,,", "tea,Coffee,,,,,,,,T-2,100,1,100,,,"]).unwrap();
        assert_eq!(r.problems.len(), 1);
        assert_eq!((r.problems[0].line, r.problems[0].field.as_str()), (3, "Title"));
    }

    #[test]
    fn every_bad_field_is_listed_with_its_line() {
        let r = read(&[
            "tea,Tea,,Glenburn,Tea,,TRUE,,,T-1,100,1,ten,,,",
            "tea,,,,,,,,,T-1,100,-4,100,,,",
            "Bad Handle,X,,V,T,,,,,X-1,1,1,1,,,",
            "honey,Honey,,,Honey,,,,,H-1,0,1,-2,,,",
            "short,row",
        ])
        .unwrap();
        let at: Vec<(u64, &str)> = r.problems.iter().map(|p| (p.line, p.field.as_str())).collect();
        assert!(at.contains(&(2, "Variant Price")), "{at:?}");
        assert!(at.contains(&(3, "Variant Inventory Qty")), "{at:?}");
        assert!(at.contains(&(4, "Handle")), "{at:?}");
        assert!(at.contains(&(5, "Vendor")), "{at:?}");
        assert!(at.contains(&(6, "")), "{at:?}");
        assert!(r.problems.windows(2).all(|w| w[0].line <= w[1].line), "in file order");
    }

    #[test]
    fn a_sku_twice_is_refused() {
        let r = read(&["a,A,,F,T,,TRUE,,,SKU-1,100,1,10,,,", "b,B,,F,T,,TRUE,,,sku-1,100,1,10,,,"]).unwrap();
        assert!(r.problems.iter().any(|p| p.line == 3 && p.field == "Variant SKU"));
    }
}
