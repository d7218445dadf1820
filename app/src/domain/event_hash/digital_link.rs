//! Identifiers in their canonical GS1 Digital Link form on `https://id.gs1.org`, as the
//! event hash compares them: EPC URNs (`urn:epc:id:sgtin:…`, `urn:epc:class:lgtin:…`,
//! patterns) are converted, Digital Link URIs on any host are normalised, anything else
//! is not an identifier this knows (`None`). The patterns are those of GS1's reference
//! implementation of the event hash, kept as written.

use regex::Regex;
use std::sync::LazyLock;

const C: &str = r"(\%2[125-9A-Fa-f]|\%3[0-9A-Fa-f]|\%4[1-9A-Fa-f]|\%5[0-9AaFf]|\%6[1-9A-Fa-f]|\%7[0-9Aa]|[!\')(*+,.0-9:;=A-Za-z_-])";
const CPI_C: &str = r"(\%2[3dfDF]|\%3[0-9]|\%4[1-9A-Fa-f]|\%5[0-9Aa]|[0-9A-Z-])";
const G13: &str =
    r"((\d{6}\.\d{7})|(\d{7}\.\d{6})|(\d{8}\.\d{5})|(\d{9}\.\d{4})|(\d{10}\.\d{3})|(\d{11}\.\d{2})|(\d{12}\.\d{1}))";
const G12: &str = r"(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\.[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.\.))";
const G12B: &str = r"(([\d]{6}\.[\d]{6})|([\d]{7}\.[\d]{5})|([\d]{8}\.[\d]{4})|([\d]{9}\.[\d]{3})|([\d]{10}\.[\d]{2})|([\d]{11}\.[\d]{1})|([\d]{12}\.))";
const X: &str = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]";
const X_SLASH: &str = r"[\x2F\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]";
const H: &str = r"https:\/\/id.gs1.org";

fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '!' => out.push_str("%21"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '*' => out.push_str("%2A"),
            '+' => out.push_str("%2B"),
            ',' => out.push_str("%2C"),
            ':' => out.push_str("%3A"),
            c => out.push(c),
        }
    }
    out
}

/// GS1's mod-10 check digit: weights 3, 1, 3, … from the right.
pub fn check_digit(digits: &str) -> char {
    let total: u32 =
        digits.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    char::from(b'0' + ((10 - total % 10) % 10) as u8)
}

fn with_cd(body: &str) -> String {
    format!("{body}{}", check_digit(body))
}

/// (company prefix, the rest) of an EPC URI after its `prefix_len`-byte scheme.
fn parts(uri: &str, prefix_len: usize) -> (&str, &str) {
    uri[prefix_len..].split_once('.').unwrap_or((&uri[prefix_len..], ""))
}

fn gtin(gcp: &str, item: &str) -> String {
    with_cd(&format!("{}{gcp}{}", &item[..1], &item[1..]))
}

fn split1(s: &str) -> (&str, &str) {
    s.split_once('.').unwrap_or((s, ""))
}

type Build = fn(&str) -> String;

fn alternatives(min: usize, max: usize, part: impl Fn(usize) -> String) -> String {
    (min..=max).map(part).collect::<Vec<_>>().join("|")
}

static EPC_RULES: LazyLock<Vec<(Regex, Build)>> = LazyLock::new(|| {
    let id = |body: String| format!("^{body}");
    let sgln_gcp = G12B.replace(r"([\d]{12}\.)", r"(\d{12}\.)");
    let g13_d = G13.replace(r"\d", r"[\d]");
    let rules: Vec<(String, Build)> = vec![
        (id(format!(r"urn:epc:id:sgtin:{G13}\.{C}{{1,20}}$")), |u| {
            let (gcp, rest) = parts(u, 17);
            let (item, serial) = split1(rest);
            format!("https://id.gs1.org/01/{}/21/{}", gtin(gcp, item), pct(serial))
        }),
        (
            id(r"urn:epc:id:sscc:((\d{6}\.\d{11}$)|(\d{7}\.\d{10}$)|(\d{8}\.\d{9}$)|(\d{9}\.\d{8}$)|(\d{10}\.\d{7}$)|(\d{11}\.\d{6}$)|(\d{12}\.\d{5}$))".into()),
            |u| {
                let (gcp, ser) = parts(u, 16);
                format!("https://id.gs1.org/00/{}", with_cd(&format!("{}{gcp}{}", &ser[..1], &ser[1..])))
            },
        ),
        (id(format!(r"urn:epc:id:sgln:{sgln_gcp}\.{C}{{1,20}}$")), |u| {
            let (gcp, rest) = parts(u, 16);
            let (loc, ext) = split1(rest);
            let out = format!("https://id.gs1.org/414/{}", with_cd(&format!("{gcp}{loc}")));
            if ext == "0" { out } else { format!("{out}/254/{}", pct(ext)) }
        }),
        (id(format!(r"urn:epc:id:grai:{G12}\.{C}{{1,16}}$")), |u| {
            let (gcp, rest) = parts(u, 16);
            let (asset, serial) = split1(rest);
            format!("https://id.gs1.org/8003/{}{}", with_cd(&format!("0{gcp}{asset}")), pct(serial))
        }),
        (
            id(format!(
                "urn:epc:id:giai:({})$",
                alternatives(6, 12, |n| format!(r"([\d]{{{n}}}\.{C}{{1,{}}})", 30 - n))
            )),
            |u| {
                let (gcp, r) = parts(u, 16);
                format!("https://id.gs1.org/8004/{gcp}{}", pct(r))
            },
        ),
        (
            id(format!(
                "urn:epc:id:gsrn:({})",
                alternatives(6, 12, |n| format!(r"([\d]{{{n}}}\.[\d]{{{}}}$)", 17 - n))
            )),
            |u| {
                let (gcp, r) = parts(u, 16);
                format!("https://id.gs1.org/8018/{}", with_cd(&format!("{gcp}{r}")))
            },
        ),
        (
            id(format!(
                "urn:epc:id:gsrnp:({})",
                alternatives(6, 12, |n| format!(r"([\d]{{{n}}}\.[\d]{{{}}}$)", 17 - n))
            )),
            |u| {
                let (gcp, r) = parts(u, 17);
                format!("https://id.gs1.org/8017/{}", with_cd(&format!("{gcp}{r}")))
            },
        ),
        (id(format!(r"urn:epc:id:gdti:{G12}{C}{{1,20}}$")), |u| {
            let (gcp, rest) = parts(u, 16);
            let (doc, serial) = split1(rest);
            format!("https://id.gs1.org/253/{}{}", with_cd(&format!("{gcp}{doc}")), pct(serial))
        }),
        (
            id(format!(
                r"urn:epc:id:cpi:({})\.[\d]{{1,12}}$",
                alternatives(6, 12, |n| format!(r"(\d{{{n}}}\.{CPI_C}{{1,{}}})", 30 - n))
            )),
            |u| {
                let (gcp, rest) = parts(u, 15);
                let (cpref, serial) = rest.rsplit_once('.').unwrap_or((rest, ""));
                format!("https://id.gs1.org/8010/{}/8011/{serial}", pct(&format!("{gcp}{cpref}")))
            },
        ),
        (id(format!(r"urn:epc:id:sgcn:{G12B}\.[\d]{{1,12}}$")), |u| {
            let (gcp, rest) = parts(u, 16);
            let (cref, serial) = split1(rest);
            format!("https://id.gs1.org/255/{}{serial}", with_cd(&format!("{gcp}{cref}")))
        }),
        (
            id(format!(
                "urn:epc:id:ginc:({})$",
                alternatives(6, 12, |n| format!(r"[\d]{{{n}}}\.{C}{{1,{}}}", 30 - n))
            )),
            |u| {
                let (gcp, r) = parts(u, 16);
                format!("https://id.gs1.org/401/{gcp}{}", pct(r))
            },
        ),
        (
            id(format!(
                "urn:epc:id:gsin:({})",
                alternatives(6, 12, |n| format!(r"([\d]{{{n}}}\.[\d]{{{}}}$)", 16 - n))
            )),
            |u| {
                let (gcp, r) = parts(u, 16);
                format!("https://id.gs1.org/402/{}", with_cd(&format!("{gcp}{r}")))
            },
        ),
        (id(format!(r"urn:epc:id:itip:{g13_d}\.[\d]{{2}}\.[\d]{{2}}\.{C}{{1,20}}$")), |u| {
            let (gcp, rest) = parts(u, 16);
            let mut it = rest.splitn(4, '.');
            let (item, piece, total, serial) =
                (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
            format!("https://id.gs1.org/8006/{}{piece}{total}/21/{}", gtin(gcp, item), pct(serial))
        }),
        (id(format!(r"urn:epc:id:upui:{G13}\.{C}{{1,28}}$")), |u| {
            let (gcp, rest) = parts(u, 16);
            let (item, serial) = split1(rest);
            format!("https://id.gs1.org/01/{}/235/{}", gtin(gcp, item), pct(serial))
        }),
        (id(format!(r"urn:epc:id:pgln:{G12B}$")), |u| {
            let (gcp, r) = parts(u, 16);
            format!("https://id.gs1.org/417/{}", with_cd(&format!("{gcp}{r}")))
        }),
        (id(format!(r"urn:epc:class:lgtin:{g13_d}\.{C}{{1,20}}$")), |u| {
            let (gcp, rest) = parts(u, 20);
            let (item, lot) = split1(rest);
            format!("https://id.gs1.org/01/{}/10/{}", gtin(gcp, item), pct(lot))
        }),
        (id(format!(r"urn:epc:idpat:sgtin:{G13}\.\*$")), |u| {
            let (gcp, rest) = parts(u, 20);
            format!("https://id.gs1.org/01/{}", gtin(gcp, split1(rest).0))
        }),
        (id(format!(r"urn:epc:idpat:grai:{G12}\.\*$")), |u| {
            let (gcp, rest) = parts(u, 19);
            format!("https://id.gs1.org/8003/{}", with_cd(&format!("0{gcp}{}", split1(rest).0)))
        }),
        (id(format!(r"urn:epc:idpat:gdti:{G12}\.\*$")), |u| {
            let (gcp, rest) = parts(u, 19);
            format!("https://id.gs1.org/253/{}", with_cd(&format!("{gcp}{}", split1(rest).0)))
        }),
        (id(format!(r"urn:epc:idpat:sgcn:{G12}\.\*$")), |u| {
            let (gcp, rest) = parts(u, 19);
            format!("https://id.gs1.org/255/{}", with_cd(&format!("{gcp}{}", split1(rest).0)))
        }),
        (
            id(format!(
                r"urn:epc:idpat:cpi:({})\.\*$",
                alternatives(6, 12, |n| format!(r"(\d{{{n}}}\.{CPI_C}{{1,{}}})", 30 - n))
            )),
            |u| {
                let (gcp, rest) = parts(u, 18);
                let cpref = rest.rsplit_once('.').map_or(rest, |(a, _)| a);
                format!("https://id.gs1.org/8010/{}", pct(&format!("{gcp}{cpref}")))
            },
        ),
        (id(format!(r"urn:epc:idpat:itip:{g13_d}\.[\d]{{2}}\.[\d]{{2}}\.\*$")), |u| {
            let (gcp, rest) = parts(u, 19);
            let mut it = rest.splitn(4, '.');
            let (item, piece, total) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
            format!("https://id.gs1.org/8006/{}{piece}{total}", gtin(gcp, item))
        }),
        (id(format!(r"urn:epc:idpat:upui:{G13}\.\*$")), |u| {
            let (gcp, rest) = parts(u, 19);
            format!("https://id.gs1.org/01/{}", gtin(gcp, split1(rest).0))
        }),
    ];
    rules.into_iter().map(|(rx, build)| (Regex::new(&rx).expect("EPC pattern"), build)).collect()
});

static DL_ANY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^https?:(\/\/((([^\/?#]*)@)?([^\/?#:]*)(:([^\/?#]*))?))?((([^?#]*)(\/(01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai)\/)(\d{4}[^\/]+)(\/[^\/]+\/[^\/]+)?[/]?(\?([^?\n]*))?(#([^\n]*))?)|(\/[A-Za-z_-]{10}$))").expect("DL pattern")
});
static DL_CANON_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^https:\/\/id.gs1.org\/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)\/(\d{4}[^\/]+)")
        .expect("DL host pattern")
});
static GTIN_14: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"^{H}\/01\/\d{{14}}")).expect("pattern"));
static GTIN_13: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"^{H}\/01\/\d{{13}}")).expect("pattern"));
static GTIN_12: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"^{H}\/01\/\d{{12}}")).expect("pattern"));
static GTIN_8: LazyLock<Regex> = LazyLock::new(|| Regex::new(&format!(r"^{H}\/01\/\d{{8}}")).expect("pattern"));
static CPV_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^{H}\/(8006\/\d{{18}}|01\/\d{{14}})\/22\/({X}{{0,20}})$")).expect("pattern")
});
static CPV_MID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^{H}\/(8006\/\d{{18}}|01\/\d{{14}})\/22\/({X_SLASH}{{0,20}})$")).expect("pattern")
});
static LOT_AND_SERIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^{H}\/(8006\/\d{{18}}|01\/\d{{14}})\/10\/({X}{{0,20}})\/21\/({X}{{0,20}})$"))
        .expect("pattern")
});
static DL_FINAL: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"\/00\/(\d{18})$".to_string(),
        format!(r"\/01\/(\d{{14}})\/21\/({X}{{0,20}})$"),
        format!(r"\/01\/(\d{{14}})\/10\/({X}{{0,20}})$"),
        r"\/01\/(\d{14})$".to_string(),
        format!(r"\/01\/(\d{{14}})\/235\/({X}{{0,28}})$"),
        format!(r"\/253\/(\d{{13}})({X}{{0,17}})$"),
        r"\/255\/(\d{13})(\d{0,12})$".to_string(),
        format!(r"\/401\/({X}{{0,30}})$"),
        r"\/402\/(\d{17})$".to_string(),
        r"\/414\/(\d{13})$".to_string(),
        format!(r"\/414\/(\d{{13}})\/254\/({X}{{0,20}})$"),
        r"\/417\/(\d{13})$".to_string(),
        format!(r"\/8003\/(\d{{14}})({X}{{0,16}})$"),
        format!(r"\/8004\/({X}{{0,30}})$"),
        format!(r"\/8006\/(\d{{18}})\/21\/({X}{{0,20}})$"),
        format!(r"\/8006\/(\d{{18}})\/10\/({X}{{0,20}})$"),
        r"\/8006\/(\d{18})$".to_string(),
        r"\/8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})\/8011/(\d{0,12})$".to_string(),
        r"\/8010\/([\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30})$".to_string(),
        r"\/8017\/(\d{18})$".to_string(),
        r"\/8018\/(\d{18})$".to_string(),
    ]
    .iter()
    .map(|p| Regex::new(&format!("^{H}{p}")).expect("final pattern"))
    .collect()
});

const SHORT_NAMES: &[(&str, &str)] = &[
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
];
const PRIMARY_ORDER: &[&str] = &[
    "/00/", "/01/", "/253/", "/255/", "/401/", "/402/", "/414/", "/417/", "/8003/", "/8004/", "/8006/", "/8010/",
    "/8017/", "/8018/",
];

/// The canonical Digital Link of an identifier, if it is one.
pub fn normalise(uri: &str) -> Option<String> {
    // Every rule below starts with one of these: the rest of an event's text (numbers,
    // names, other URIs) skips thirty-odd patterns.
    if !uri.contains('.') || !(uri.starts_with("urn:epc:") || uri.starts_with("http")) {
        return None;
    }
    if let Some((_, build)) = EPC_RULES.iter().find(|(rx, _)| rx.is_match(uri)) {
        return Some(build(uri));
    }
    if !DL_ANY.is_match(uri) {
        return None;
    }
    let mut u = uri.split('?').next().unwrap_or(uri).to_string();
    for (a, b) in SHORT_NAMES {
        u = u.replace(a, b);
    }
    if !DL_CANON_HOST.is_match(&u)
        && let Some(i) = PRIMARY_ORDER.iter().find_map(|k| u.find(k))
    {
        u = format!("https://id.gs1.org{}", &u[i..]);
    }
    if !GTIN_14.is_match(&u) {
        if GTIN_13.is_match(&u) {
            u = u.replace("/01/", "/01/0");
        } else if GTIN_12.is_match(&u) {
            u = u.replace("/01/", "/01/00");
        } else if GTIN_8.is_match(&u) {
            u = u.replace("/01/", "/01/000000");
        }
    }
    if CPV_END.is_match(&u) {
        u.truncate(u.find("/22/").unwrap_or(u.len()));
    } else if CPV_MID.is_match(&u)
        && let Some(at) = u.find("/22/")
    {
        let after = &u[at + 4..];
        let rest = after.find('/').map_or("", |i| &after[i..]).to_string();
        u = format!("{}{rest}", &u[..at]);
    }
    if LOT_AND_SERIAL.is_match(&u)
        && let Some(at) = u.find("/10/")
    {
        let after = &u[at + 4..];
        let rest = after.find('/').map_or("", |i| &after[i..]).to_string();
        u = format!("{}{rest}", &u[..at]);
    }
    DL_FINAL.iter().any(|rx| rx.is_match(&u)).then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epc_urns_and_digital_links_meet_in_one_form() {
        for (from, to) in [
            ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
            ("urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"),
            ("urn:epc:id:sgln:4012345.00011.987", "https://id.gs1.org/414/4012345000115/254/987"),
            ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
            ("urn:epc:class:lgtin:4054739.099914.20160711", "https://id.gs1.org/01/04054739999148/10/20160711"),
            ("urn:epc:idpat:sgtin:4012345.044444.*", "https://id.gs1.org/01/04012345444445"),
            ("urn:epc:id:gdti:4012345.55555.1234", "https://id.gs1.org/253/40123455555541234"),
            ("urn:epc:id:pgln:4012345.00000", "https://id.gs1.org/417/4012345000009"),
            ("urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"),
            ("https://id.gs1.de/01/04012345999990/21/XYZ-1234", "https://id.gs1.org/01/04012345999990/21/XYZ-1234"),
            (
                "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
                "https://id.gs1.org/01/09780345418913/21/765tz",
            ),
            ("https://id.example.com/253/4012345000054987", "https://id.gs1.org/253/4012345000054987"),
        ] {
            assert_eq!(normalise(from).as_deref(), Some(to), "{from}");
        }
        for other in ["http://transaction.acme.com/po/12345678", "geo:50.947573340894124,6.922120147375441", "Leaf"] {
            assert_eq!(normalise(other), None, "{other}");
        }
    }
}
