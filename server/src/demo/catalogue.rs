//! The raw material of the demo world: real places, plausible farms, and produce with
//! the pack sizes and price ranges an Indian organic store would list.

use chrono::Weekday;

pub struct CategorySeed {
    pub slug: &'static str,
    pub name: &'static str,
    /// Pack sizes in grams, smallest first.
    pub packs: &'static [u32],
    /// Price range per kilogram, in rupees.
    pub per_kg: (u32, u32),
    pub products: &'static [(&'static str, &'static str)],
    /// Which farm kinds grow this category.
    pub grown_by: &'static [FarmKind],
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FarmKind {
    TeaEstate,
    SpiceGarden,
    VegetableFarm,
    Orchard,
}

pub struct FarmSeed {
    pub name: &'static str,
    pub region: &'static str,
    pub state: &'static str,
    pub kind: FarmKind,
    pub acres: u32,
    pub story: &'static str,
}

pub const CATEGORIES: &[CategorySeed] = &[
    CategorySeed {
        slug: "tea",
        name: "Tea",
        packs: &[100, 250, 500],
        per_kg: (1400, 6500),
        grown_by: &[FarmKind::TeaEstate],
        products: &[
            (
                "Darjeeling First Flush",
                "Spring's first plucking: bright, floral and brisk, with the green notes the hills are known for.",
            ),
            (
                "Darjeeling Second Flush Muscatel",
                "Summer leaf with the prized muscatel character: ripe grape, honey and a long, soft finish.",
            ),
            ("Darjeeling Autumnal", "Late-season leaf, coppery in the cup, mellow and nutty."),
            ("Darjeeling Green Tea", "Pan-fired whole leaf with a clean, sweet, vegetal cup."),
            ("Himalayan White Tea", "Silver-tipped buds, withered slowly and barely rolled; delicate and sweet."),
            ("Nilgiri Frost Tea", "Plucked in the cold weeks of winter: fragrant, crisp and naturally sweet."),
            ("Nilgiri Orange Pekoe", "Whole-leaf black tea with a bright, fruity liquor that takes milk well."),
            ("Estate Masala Chai", "Assam-strength CTC from the estate with cardamom, ginger, cinnamon and clove."),
            ("Nilgiri Oolong", "Semi-oxidised, hand-rolled; orchid aroma and a buttery body."),
        ],
    },
    CategorySeed {
        slug: "spices",
        name: "Spices",
        packs: &[50, 100, 250],
        per_kg: (500, 3800),
        grown_by: &[FarmKind::SpiceGarden],
        products: &[
            ("Green Cardamom (8 mm bold)", "Plump green pods, sorted by hand; intensely aromatic."),
            ("Tellicherry Black Pepper", "Extra-bold peppercorns left longer on the vine for a deep, fruity heat."),
            ("Cinnamon Quills", "Thin-barked true cinnamon, rolled and sun-dried."),
            ("Whole Cloves", "Hand-picked buds, dried on mats; warm and sweet."),
            ("Nutmeg with Mace", "Whole nutmeg in its lacy red mace, straight from the fruit."),
            ("Lakadong Turmeric Powder", "High-curcumin turmeric, slow-dried and stone-ground."),
            ("Star Anise", "Whole stars with a clear liquorice sweetness."),
            ("Kashmiri Chilli Powder", "Deep red colour with a gentle heat."),
        ],
    },
    CategorySeed {
        slug: "vegetables",
        name: "Vegetables",
        packs: &[250, 500, 1000],
        per_kg: (40, 220),
        grown_by: &[FarmKind::VegetableFarm],
        products: &[
            ("Heirloom Tomatoes", "Country tomatoes, vine-ripened and picked the morning they ship."),
            ("Ooty Carrots", "Sweet, crunchy hill carrots grown in red laterite soil."),
            ("French Beans", "Tender, stringless beans, hand-picked young."),
            ("Baby Potatoes", "Thin-skinned new potatoes from the Nilgiri slopes."),
            ("Palak (Spinach)", "Tender leaves, bunched and cooled right after harvest."),
            ("Broccoli", "Tight green heads from a cool hill farm."),
            ("Red Cabbage", "Dense heads with a peppery crunch."),
            ("Beetroot", "Earthy, sweet roots with their greens."),
            ("Bhindi (Okra)", "Small, tender pods that cook without slime."),
            ("Drumsticks (Moringa)", "Fresh moringa pods for sambar."),
            ("English Cucumbers", "Seedless, thin-skinned and crisp."),
            ("Red Onions", "Sun-cured Bellary-type onions."),
        ],
    },
    CategorySeed {
        slug: "fruits",
        name: "Fruits",
        packs: &[500, 1000],
        per_kg: (120, 480),
        grown_by: &[FarmKind::Orchard],
        products: &[
            ("Darjeeling Mandarin Oranges", "Loose-skinned hill mandarins, sweet with a bright tang."),
            ("Nilgiri Plums", "Juicy red plums from high orchards."),
            ("Hass Avocados", "Creamy avocados from the Nilgiri foothills; ripen in two to three days."),
            ("Passion Fruit", "Wrinkled when ripe, fragrant and tart inside."),
            ("Hill Pears", "Crisp pears, good for eating and poaching."),
        ],
    },
    CategorySeed {
        slug: "pantry",
        name: "Honey & Pantry",
        packs: &[250, 500, 1000],
        per_kg: (90, 900),
        grown_by: &[FarmKind::SpiceGarden, FarmKind::VegetableFarm, FarmKind::Orchard],
        products: &[
            ("Wild Forest Honey", "Raw multifloral honey from the shola forests, unheated and unfiltered."),
            ("Eucalyptus Honey", "Dark, resinous honey from the Nilgiri plantations."),
            ("Red Matta Rice", "Parboiled red rice, rich and nutty."),
            ("Finger Millet (Ragi) Flour", "Stone-ground whole ragi."),
            ("Palm Jaggery", "Traditional karupatti, made from palm sap."),
            ("Cold-Pressed Groundnut Oil", "Wood-pressed (chekku) groundnut oil."),
        ],
    },
];

pub const FARMS: &[FarmSeed] = &[
    FarmSeed {
        name: "Rungmook Heights Tea Estate",
        region: "Kurseong, Darjeeling",
        state: "West Bengal",
        kind: FarmKind::TeaEstate,
        acres: 420,
        story: "A 1,400-metre estate above Kurseong, farmed organically since 1994 and run by its third generation of pluckers' families.",
    },
    FarmSeed {
        name: "Lopchu Ridge Garden",
        region: "Peshok, Darjeeling",
        state: "West Bengal",
        kind: FarmKind::TeaEstate,
        acres: 310,
        story: "A ridge-top garden overlooking the Teesta, known for its brisk first flush.",
    },
    FarmSeed {
        name: "Mirik Mist Estate",
        region: "Mirik, Darjeeling",
        state: "West Bengal",
        kind: FarmKind::TeaEstate,
        acres: 265,
        story: "Small-leaf China bushes planted in the 1880s on terraced slopes around Mirik lake.",
    },
    FarmSeed {
        name: "Kotagiri Highland Estate",
        region: "Kotagiri, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::TeaEstate,
        acres: 380,
        story: "High-grown Nilgiri tea from slopes that see frost in January.",
    },
    FarmSeed {
        name: "Coonoor Spice Garden",
        region: "Coonoor, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::SpiceGarden,
        acres: 60,
        story: "Cardamom and pepper grown under shade trees, between two streams that never run dry.",
    },
    FarmSeed {
        name: "Gudalur Pepper Collective",
        region: "Gudalur, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::SpiceGarden,
        acres: 140,
        story: "Forty smallholder families pooling their pepper, cloves and nutmeg, certified organic as a group.",
    },
    FarmSeed {
        name: "Ketti Valley Farms",
        region: "Ketti, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::VegetableFarm,
        acres: 35,
        story: "Terraced hill vegetables — carrots, beans, potatoes, cabbage — watered by springs.",
    },
    FarmSeed {
        name: "Ooty Terrace Farms",
        region: "Ooty, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::VegetableFarm,
        acres: 28,
        story: "A women-led cooperative farming cool-weather greens on old Toda grazing land.",
    },
    FarmSeed {
        name: "Hosur Greens Cooperative",
        region: "Hosur, Krishnagiri",
        state: "Tamil Nadu",
        kind: FarmKind::VegetableFarm,
        acres: 90,
        story: "Plains vegetables grown with drip irrigation and composted mulch.",
    },
    FarmSeed {
        name: "Dindigul Sun Farms",
        region: "Oddanchatram, Dindigul",
        state: "Tamil Nadu",
        kind: FarmKind::VegetableFarm,
        acres: 55,
        story: "Supplying Oddanchatram market for three generations; organic since 2012.",
    },
    FarmSeed {
        name: "Sittong Orange Orchards",
        region: "Sittong, Kurseong",
        state: "West Bengal",
        kind: FarmKind::Orchard,
        acres: 40,
        story: "Mandarin groves on the slopes of Sittong, harvested from November to January.",
    },
    FarmSeed {
        name: "Kodanad Hill Orchard",
        region: "Kodanad, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::Orchard,
        acres: 48,
        story: "Plums, pears, avocados and passion fruit on a wind-sheltered hillside.",
    },
];

/// Places that lend their names to the extra farms generated at larger scales.
pub const EXTRA_PLACES: &[(&str, &str, &str, FarmKind)] = &[
    ("Sonada", "Darjeeling", "West Bengal", FarmKind::TeaEstate),
    ("Takdah", "Darjeeling", "West Bengal", FarmKind::TeaEstate),
    ("Ghum", "Darjeeling", "West Bengal", FarmKind::TeaEstate),
    ("Bijanbari", "Darjeeling", "West Bengal", FarmKind::Orchard),
    ("Aravenu", "Nilgiris", "Tamil Nadu", FarmKind::TeaEstate),
    ("Manjoor", "Nilgiris", "Tamil Nadu", FarmKind::VegetableFarm),
    ("Naduvattam", "Nilgiris", "Tamil Nadu", FarmKind::SpiceGarden),
    ("Avalanche", "Nilgiris", "Tamil Nadu", FarmKind::VegetableFarm),
    ("Masinagudi", "Nilgiris", "Tamil Nadu", FarmKind::SpiceGarden),
    ("Kodaikanal", "Dindigul", "Tamil Nadu", FarmKind::Orchard),
    ("Denkanikottai", "Krishnagiri", "Tamil Nadu", FarmKind::VegetableFarm),
    ("Valparai", "Coimbatore", "Tamil Nadu", FarmKind::TeaEstate),
];

pub const FARM_SUFFIXES: &[(FarmKind, &[&str])] = &[
    (FarmKind::TeaEstate, &["Tea Estate", "Tea Garden", "Leaf Collective"]),
    (FarmKind::SpiceGarden, &["Spice Garden", "Spice Collective", "Pepper Farm"]),
    (FarmKind::VegetableFarm, &["Farms", "Organic Growers", "Green Cooperative"]),
    (FarmKind::Orchard, &["Orchard", "Fruit Farm", "Hill Orchards"]),
];

/// Editions that distinguish products of the same kind at larger scales.
pub const EDITIONS: &[&str] = &[
    "Estate Reserve",
    "Single Origin",
    "Small Batch",
    "Heritage",
    "Hand-Sorted",
    "Monsoon Harvest",
    "Winter Harvest",
    "Grower's Select",
    "Hill Grown",
    "Family Lot",
];

pub struct PersonSeed {
    pub role: &'static str,
    pub name: &'static str,
    pub phone: &'static str,
    pub locale: &'static str,
}

pub struct TenantSeed {
    pub slug: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    pub people: &'static [PersonSeed],
}

pub const TENANTS: &[TenantSeed] = &[
    TenantSeed {
        slug: "greenharvest",
        name: "GreenHarvest Organics",
        kind: "store",
        people: &[
            PersonSeed { role: "customer", name: "Ananya Iyer", phone: "+919840010001", locale: "en" },
            PersonSeed { role: "farmer", name: "Pemba Sherpa", phone: "+919840010002", locale: "en" },
            PersonSeed { role: "staff", name: "Rahul Menon", phone: "+919840010003", locale: "en" },
            PersonSeed { role: "ops", name: "Kavya Raghunathan", phone: "+919840010004", locale: "en" },
            PersonSeed { role: "admin", name: "Vikram Shetty", phone: "+919840010005", locale: "en" },
        ],
    },
    TenantSeed {
        slug: "darjberry",
        name: "Darjberry Estates",
        kind: "estate",
        people: &[
            PersonSeed { role: "customer", name: "Sneha Kapoor", phone: "+919830020001", locale: "en" },
            PersonSeed { role: "field_agent", name: "Tashi Lepcha", phone: "+919830020002", locale: "en" },
            PersonSeed { role: "ops", name: "Arjun Pradhan", phone: "+919830020003", locale: "en" },
            PersonSeed { role: "admin", name: "Meera Gurung", phone: "+919830020004", locale: "en" },
        ],
    },
    TenantSeed {
        slug: "malar",
        name: "Malar Flower Commission Agency",
        kind: "market",
        people: &[
            PersonSeed { role: "admin", name: "Senthil Kumar", phone: "+919443030001", locale: "ta" },
            PersonSeed { role: "staff", name: "Lakshmi Narayanan", phone: "+919443030002", locale: "ta" },
            PersonSeed { role: "farmer", name: "Murugan Pandian", phone: "+919443030003", locale: "ta" },
        ],
    },
];

/// Darjberry's own estates and the few teas it sells: a second tenant's catalogue
/// that the GreenHarvest storefront must never show. Customers own share units of
/// these estates (`DARJBERRY_ESTATES`, `ownership.rs`).
pub const DARJBERRY_FARMS: &[FarmSeed] = &[
    FarmSeed {
        name: "Glenmora Tea Estate",
        region: "Rangbull, Darjeeling",
        state: "West Bengal",
        kind: FarmKind::TeaEstate,
        acres: 510,
        story: "An estate whose customers own shares of its sections, and watch them grow.",
    },
    FarmSeed {
        name: "Badamtam Slope Garden",
        region: "Badamtam, Darjeeling",
        state: "West Bengal",
        kind: FarmKind::TeaEstate,
        acres: 230,
        story: "Steep north-facing slopes above the Rangeet valley.",
    },
    FarmSeed {
        name: "Nedugula Ridge Estate",
        region: "Nedugula, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::TeaEstate,
        acres: 340,
        story: "High-grown Nilgiri tea above Kotagiri, plucked through the year and best in the frost weeks of January.",
    },
    FarmSeed {
        name: "Devala Pepper and Coffee Estate",
        region: "Devala, Nilgiris",
        state: "Tamil Nadu",
        kind: FarmKind::SpiceGarden,
        acres: 150,
        story: "Pepper vines climbing the shade trees over arabica coffee, on the wet western slopes towards Kerala.",
    },
];

/// What share ownership needs of a Darjberry estate beyond its `FarmSeed`.
pub struct EstateSeed {
    /// The `FarmSeed::name` this belongs to.
    pub farm: &'static str,
    /// Millionths of a degree: the columns are numeric(9, 6), and integers keep it exact.
    pub latitude_e6: i64,
    pub longitude_e6: i64,
    pub total_units: i32,
    pub infrastructure: &'static str,
    pub crops: &'static [CropSeed],
    /// Rupees a share unit sells for today; earlier buyers paid a little less.
    pub unit_price: i64,
    /// Rupees the owned sections take in an ordinary month.
    pub monthly_revenue: i64,
    /// Units owners ask for, in thousandths of `total_units`: above 1,000 some are
    /// turned away, and the estate is sold out on some days.
    pub demand_per_mille: i64,
    /// The days of the week its lots go under the hammer.
    pub sale_days: &'static [Weekday],
}

pub struct CropSeed {
    pub name: &'static str,
    /// Bushes, clumps or vines standing when the counts begin.
    pub plants: i32,
    /// What a lot fetches, rupees per kilogram.
    pub per_kg: (i64, i64),
    /// Percent of the estate's lots.
    pub share: u32,
    /// Where its lots are sold.
    pub market: &'static str,
    /// Thousandths of the plants lost in one bad week of the counts (hail, a slip), or 0.
    pub storm_loss_per_mille: i32,
}

pub const DARJBERRY_ESTATES: &[EstateSeed] = &[
    EstateSeed {
        farm: "Glenmora Tea Estate",
        latitude_e6: 26_990_600,
        longitude_e6: 88_252_100,
        total_units: 4_000,
        infrastructure: "Orthodox factory with eight withering troughs, four rollers and a fluid-bed dryer; \
            6 km of estate roads; two spring-fed reservoirs; drip lines in the young sections; a dispensary \
            and a crèche by the workers' lines.",
        crops: &[CropSeed {
            name: "tea",
            plants: 1_530_000,
            per_kg: (420, 1_150),
            share: 100,
            market: "Kolkata auction",
            storm_loss_per_mille: 0,
        }],
        unit_price: 3_400,
        monthly_revenue: 450_000,
        demand_per_mille: 1_000,
        sale_days: &[Weekday::Mon, Weekday::Tue, Weekday::Thu],
    },
    EstateSeed {
        farm: "Badamtam Slope Garden",
        latitude_e6: 27_074_400,
        longitude_e6: 88_283_600,
        total_units: 2_000,
        infrastructure: "A two-roller orthodox factory; a 3 km ropeway down to the valley road; wood-fired \
            bhattis for drying large cardamom; rainwater tanks on every terrace block.",
        crops: &[
            CropSeed {
                name: "tea",
                plants: 632_000,
                per_kg: (380, 950),
                share: 80,
                market: "Kolkata auction",
                storm_loss_per_mille: 0,
            },
            CropSeed {
                name: "cardamom",
                plants: 15_000,
                per_kg: (1_300, 1_900),
                share: 20,
                market: "Siliguri spice market",
                storm_loss_per_mille: 32,
            },
        ],
        unit_price: 2_600,
        monthly_revenue: 200_000,
        demand_per_mille: 1_300,
        sale_days: &[Weekday::Mon, Weekday::Wed, Weekday::Fri],
    },
    EstateSeed {
        farm: "Nedugula Ridge Estate",
        latitude_e6: 11_447_200,
        longitude_e6: 76_889_300,
        total_units: 2_500,
        infrastructure: "A 1930s factory with orthodox and CTC lines; a weather station for frost warnings; \
            4 km of estate road; check dams on two streams; a leaf-collection shed in each division.",
        crops: &[CropSeed {
            name: "tea",
            plants: 1_215_000,
            per_kg: (150, 380),
            share: 100,
            market: "Coonoor auction",
            storm_loss_per_mille: 0,
        }],
        unit_price: 2_200,
        monthly_revenue: 215_000,
        demand_per_mille: 950,
        sale_days: &[Weekday::Tue, Weekday::Thu, Weekday::Fri],
    },
    EstateSeed {
        farm: "Devala Pepper and Coffee Estate",
        latitude_e6: 11_473_100,
        longitude_e6: 76_385_600,
        total_units: 1_200,
        infrastructure: "A coffee pulping unit and drying yards; a pepper threshing and blanching shed; drip \
            irrigation over 40 acres; a two-tonne godown; a solar fence against elephants.",
        crops: &[
            CropSeed {
                name: "pepper",
                plants: 48_000,
                per_kg: (620, 720),
                share: 55,
                market: "Kochi pepper auction",
                storm_loss_per_mille: 0,
            },
            CropSeed {
                name: "coffee",
                plants: 110_000,
                per_kg: (420, 520),
                share: 45,
                market: "Kalpetta coffee traders",
                storm_loss_per_mille: 0,
            },
        ],
        unit_price: 1_800,
        monthly_revenue: 85_000,
        demand_per_mille: 800,
        sale_days: &[Weekday::Mon, Weekday::Wed, Weekday::Sat],
    },
];

/// (name, blurb, the `DARJBERRY_FARMS` name of the estate that grows it).
pub const DARJBERRY_PRODUCTS: &[(&str, &str, &str)] = &[
    ("Glenmora Owners' Reserve", "The owners' share of the first flush, bottled by section.", "Glenmora Tea Estate"),
    ("Badamtam Clonal Muscatel", "A clonal second flush with a pronounced muscatel note.", "Badamtam Slope Garden"),
    ("Rangbull Breakfast Blend", "A robust blend of autumnal leaf for the morning cup.", "Glenmora Tea Estate"),
];
