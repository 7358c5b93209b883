//! The constant tables demo data is drawn from: countries with their cities, languages and
//! phone prefixes; first and last names per language; company name parts; job titles.
//! Names whose spelling is not plain ASCII Latin carry their ASCII form after a `|`
//! ("Satō|sato"; long-vowel romanisations rather than kanji, which egui's bundled fonts
//! cannot draw); Latin names are folded to ASCII for email addresses by `ascii_slug`.

mod names;

pub(crate) use names::CULTURES;

/// A country leads and accounts can be in. Weights are relative shares of records.
pub(crate) struct Country {
    pub name: &'static str,
    pub weight: u32,
    /// Languages spoken by records in this country, with relative weights.
    pub languages: &'static [(&'static str, u32)],
    /// Cities, most populous (most frequent) first.
    pub cities: &'static [&'static str],
    pub phone_prefix: &'static str,
    /// The top-level domain of local companies ("de"); "com" is used too.
    pub tld: &'static str,
    /// The local webmail provider people use instead of gmail.com.
    pub webmail: &'static str,
}

/// United States, Germany and the United Kingdom together are about half of all records.
pub(crate) const COUNTRIES: &[Country] = &[
    Country {
        name: "United States",
        weight: 260,
        languages: &[("English", 90), ("Spanish", 10)],
        cities: &["New York", "San Francisco", "Chicago", "Austin", "Seattle", "Boston", "Atlanta", "Denver"],
        phone_prefix: "+1",
        tld: "com",
        webmail: "yahoo.com",
    },
    Country {
        name: "Germany",
        weight: 140,
        languages: &[("German", 95), ("English", 5)],
        cities: &["Berlin", "München", "Hamburg", "Frankfurt am Main", "Köln", "Stuttgart", "Düsseldorf", "Leipzig"],
        phone_prefix: "+49",
        tld: "de",
        webmail: "web.de",
    },
    Country {
        name: "United Kingdom",
        weight: 110,
        languages: &[("English", 100)],
        cities: &["London", "Manchester", "Birmingham", "Edinburgh", "Bristol", "Leeds", "Glasgow"],
        phone_prefix: "+44",
        tld: "co.uk",
        webmail: "hotmail.co.uk",
    },
    Country {
        name: "France",
        weight: 70,
        languages: &[("French", 97), ("English", 3)],
        cities: &["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille", "Bordeaux", "Nice"],
        phone_prefix: "+33",
        tld: "fr",
        webmail: "orange.fr",
    },
    Country {
        name: "Canada",
        weight: 50,
        languages: &[("English", 72), ("French", 28)],
        cities: &["Toronto", "Montréal", "Vancouver", "Calgary", "Ottawa", "Québec"],
        phone_prefix: "+1",
        tld: "ca",
        webmail: "outlook.com",
    },
    Country {
        name: "Netherlands",
        weight: 40,
        languages: &[("Dutch", 85), ("English", 15)],
        cities: &["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven"],
        phone_prefix: "+31",
        tld: "nl",
        webmail: "ziggo.nl",
    },
    Country {
        name: "Belgium",
        weight: 30,
        languages: &[("Dutch", 55), ("French", 45)],
        cities: &["Brussels", "Antwerpen", "Gent", "Liège", "Leuven"],
        phone_prefix: "+32",
        tld: "be",
        webmail: "telenet.be",
    },
    Country {
        name: "Spain",
        weight: 40,
        languages: &[("Spanish", 100)],
        cities: &["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga"],
        phone_prefix: "+34",
        tld: "es",
        webmail: "hotmail.es",
    },
    Country {
        name: "Italy",
        weight: 40,
        languages: &[("Italian", 100)],
        cities: &["Milano", "Roma", "Torino", "Bologna", "Firenze", "Napoli"],
        phone_prefix: "+39",
        tld: "it",
        webmail: "libero.it",
    },
    Country {
        name: "Sweden",
        weight: 30,
        languages: &[("Swedish", 92), ("English", 8)],
        cities: &["Stockholm", "Göteborg", "Malmö", "Uppsala", "Linköping"],
        phone_prefix: "+46",
        tld: "se",
        webmail: "outlook.com",
    },
    Country {
        name: "Switzerland",
        weight: 30,
        languages: &[("German", 63), ("French", 27), ("Italian", 10)],
        cities: &["Zürich", "Genève", "Basel", "Bern", "Lausanne", "Lugano"],
        phone_prefix: "+41",
        tld: "ch",
        webmail: "bluewin.ch",
    },
    Country {
        name: "Austria",
        weight: 20,
        languages: &[("German", 100)],
        cities: &["Wien", "Graz", "Linz", "Salzburg", "Innsbruck"],
        phone_prefix: "+43",
        tld: "at",
        webmail: "gmx.at",
    },
    Country {
        name: "Australia",
        weight: 30,
        languages: &[("English", 100)],
        cities: &["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide"],
        phone_prefix: "+61",
        tld: "com.au",
        webmail: "bigpond.com",
    },
    Country {
        name: "Japan",
        weight: 20,
        languages: &[("Japanese", 93), ("English", 7)],
        cities: &["Tokyo", "Osaka", "Yokohama", "Nagoya", "Fukuoka"],
        phone_prefix: "+81",
        tld: "co.jp",
        webmail: "yahoo.co.jp",
    },
    Country {
        name: "Brazil",
        weight: 20,
        languages: &[("Portuguese", 100)],
        cities: &["São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Porto Alegre"],
        phone_prefix: "+55",
        tld: "com.br",
        webmail: "uol.com.br",
    },
    Country {
        name: "Norway",
        weight: 15,
        languages: &[("Norwegian", 100)],
        cities: &["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø"],
        phone_prefix: "+47",
        tld: "no",
        webmail: "online.no",
    },
    Country {
        name: "Denmark",
        weight: 15,
        languages: &[("Danish", 100)],
        cities: &["København", "Aarhus", "Odense", "Aalborg"],
        phone_prefix: "+45",
        tld: "dk",
        webmail: "outlook.dk",
    },
    Country {
        name: "Poland",
        weight: 15,
        languages: &[("Polish", 100)],
        cities: &["Warszawa", "Kraków", "Wrocław", "Łódź", "Poznań", "Gdańsk"],
        phone_prefix: "+48",
        tld: "pl",
        webmail: "wp.pl",
    },
    Country {
        name: "Ireland",
        weight: 15,
        languages: &[("English", 100)],
        cities: &["Dublin", "Cork", "Galway", "Limerick"],
        phone_prefix: "+353",
        tld: "ie",
        webmail: "eircom.net",
    },
    Country {
        name: "Mexico",
        weight: 10,
        languages: &[("Spanish", 100)],
        cities: &["Ciudad de México", "Guadalajara", "Monterrey", "Puebla"],
        phone_prefix: "+52",
        tld: "com.mx",
        webmail: "hotmail.com",
    },
];

/// The first part of company names, fictional.
pub(crate) const COMPANY_STEMS: &[&str] = &[
    "Northwind",
    "Fabrikam",
    "Contoso",
    "Adventure Works",
    "Tailspin",
    "Litware",
    "Proseware",
    "Wide World",
    "Woodgrove",
    "Coho",
    "Alpine",
    "Blue Yonder",
    "Lucerne",
    "Trey",
    "Wingtip",
    "Humongous",
    "Fourth Coffee",
    "Relecloud",
    "Datum",
    "Lamna",
    "Nordlicht",
    "Bergmann",
    "Hanse",
    "Edelweiss",
    "Kästner",
    "Grünfeld",
    "Lumière",
    "Beaumont",
    "Rivière",
    "Ibérica",
    "Sol y Mar",
    "Aurora",
    "Vesuvio",
    "Stella",
    "Polaris",
    "Fjord",
    "Nordvik",
    "Tulip",
    "Delft",
    "Oranje",
    "Maple",
    "Cascade",
    "Summit",
    "Pioneer",
    "Redwood",
    "Harbor",
    "Meridian",
    "Zenith",
    "Vertex",
    "Apex",
    "Quantum",
    "Helix",
    "Nimbus",
    "Orion",
    "Atlas",
    "Sakura",
    "Fuji",
    "Ipanema",
    "Wisła",
    "NovaTech",
    "Techwise",
    "Bluebird",
    "Silverline",
    "Greenfield",
    "Ironbridge",
    "Brightwater",
    "Skyline",
    "Evergreen",
    "Falcon",
    "Granite",
    "Lighthouse",
    "Oakridge",
    "Starling",
    "Ødegaard",
    "Zephyr",
];

/// The second part of company names: what they do or their legal form. The "tech" ones come
/// in several spellings so case-insensitive text search has something to find.
pub(crate) const COMPANY_SUFFIXES: &[&str] = &[
    "Technologies",
    "Tech",
    "Biotech",
    "Fintech",
    "Systems",
    "Solutions",
    "Software",
    "Logistics",
    "Consulting",
    "Partners",
    "Group",
    "Holdings",
    "Labs",
    "Industries",
    "Manufacturing",
    "Retail",
    "Energy",
    "Health",
    "Media",
    "Analytics",
    "Foods",
    "Capital",
    "GmbH",
    "AG",
    "SA",
    "S.p.A.",
    "B.V.",
    "AB",
    "Ltd",
    "Inc.",
    "LLC",
    "& Co. KG",
];

pub(crate) const JOB_TITLES: &[&str] = &[
    "Chief Executive Officer",
    "Chief Technology Officer",
    "Chief Financial Officer",
    "Head of IT",
    "IT Manager",
    "Purchasing Manager",
    "Procurement Lead",
    "Operations Director",
    "Marketing Manager",
    "VP Sales",
    "Sales Director",
    "Software Engineer",
    "Data Analyst",
    "Office Manager",
    "Product Manager",
    "Project Manager",
    "Security Officer",
    "Solutions Architect",
    "Head of Digital",
    "Business Analyst",
    "Geschäftsführer",
    "Leiter Einkauf",
    "Directeur commercial",
    "Responsable informatique",
    "Director de compras",
];

/// Topic phrases; `{}` is replaced by a product line when the pool is built.
pub(crate) const TOPIC_TEMPLATES: &[&str] = &[
    "Interested in {}",
    "{} evaluation",
    "{} pricing request",
    "{} pilot",
    "{} demo request",
    "{} renewal",
    "Upgrade to {}",
    "{} for a new office",
    "Questions about {}",
    "{} proof of concept",
    "{} tender",
    "Replace legacy tools with {}",
    "{} for 25 users",
    "{} for 100 users",
    "{} for 500 users",
    "{} expansion",
];

/// Folds a Latin name to the ASCII letters of an email address ("Søren Ødegård" →
/// "sorenodegard"); names written as "native|ascii" give their ASCII half.
pub(crate) fn ascii_slug(name: &str) -> String {
    if let Some((_, ascii)) = name.split_once('|') {
        return ascii.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let folded = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'A'..='Z' => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' | 'Á' | 'À' | 'Â' | 'Ä' | 'Å' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'É' | 'È' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'Í' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'Ó' | 'Ö' | 'Ø' => "o",
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ü' => "u",
            'ç' | 'ć' | 'Ç' => "c",
            'ñ' | 'ń' | 'Ñ' => "n",
            'ś' | 'Ś' => "s",
            'ź' | 'ż' | 'Ż' => "z",
            'ł' | 'Ł' => "l",
            'ß' => "ss",
            'æ' | 'Æ' => "ae",
            _ => "",
        };
        out.push_str(folded);
    }
    out
}

/// The display half of a "native|ascii" name.
pub(crate) fn display(name: &str) -> &str {
    name.split_once('|').map_or(name, |(native, _)| native)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_and_non_empty() {
        assert_eq!(ascii_slug("Søren Ødegård"), "sorenodegard");
        assert_eq!(ascii_slug("Łukasz"), "lukasz");
        assert_eq!(ascii_slug("Satō|sato"), "sato");
        assert_eq!(ascii_slug("O'Brien"), "obrien");
        assert_eq!(display("Satō|sato"), "Satō");
        let mut all: Vec<&str> = COMPANY_STEMS.to_vec();
        for culture in CULTURES {
            all.extend(culture.first.iter().chain(culture.last).chain(culture.native_first).chain(culture.native_last));
        }
        for name in all {
            let slug = ascii_slug(name);
            assert!(!slug.is_empty() && slug.bytes().all(|b| b.is_ascii_alphanumeric()), "{name} → {slug:?}");
        }
    }

    #[test]
    fn every_language_has_names() {
        for country in COUNTRIES {
            assert!(!country.cities.is_empty());
            for (language, _) in country.languages {
                assert!(CULTURES.iter().any(|c| c.languages.contains(language)), "{language}");
            }
        }
    }
}
