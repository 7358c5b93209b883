//! Row generators for the four built-in record types.
//!
//! Each generator builds its string pools once (names with their ASCII forms, companies,
//! cities, topics), then makes rows from `Rng::for_row(seed, type, key)`: a row depends only
//! on the seed, its type and its key, never on the rows before it. That lets a lead
//! recompute the name, country and size of the account it points at, and an opportunity
//! the account of its contact, without keeping any table of generated rows.
//!
//! Values are placed by field *name* (and kind) through [`Slot`]s found in the
//! `RecordTypeDef`, so reordering fields cannot shift values; a field the generator does not
//! know, or whose kind changed, stays empty, and a choice option the field does not offer
//! becomes empty too. Every row therefore passes `check_record`.

mod accounts;
mod leads;

pub(crate) use accounts::{accounts, contacts, opportunities};
pub(crate) use leads::leads;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};

use super::DemoSpec;
use super::rng::{Rng, Weighted};
use super::tables::{
    COMPANY_STEMS, COMPANY_SUFFIXES, COUNTRIES, CULTURES, JOB_TITLES, TOPIC_TEMPLATES, ascii_slug, display,
};
use crate::domain::schema::{INDUSTRIES, LEAD_SOURCES, PRODUCT_LINES};
use crate::domain::{FieldKind, RecordId, RecordTypeDef, SellerId, Value};

const LEAD_STREAM: u64 = 1;
const ACCOUNT_STREAM: u64 = 2;
const CONTACT_STREAM: u64 = 3;
const OPPORTUNITY_STREAM: u64 = 4;

const DAY_SECONDS: i64 = 86_400;

/// Relative weights of `INDUSTRIES`, in its order (software-heavy, as a software vendor's
/// CRM would be). Industries added later get a small weight.
const INDUSTRY_WEIGHTS: &[u32] = &[20, 14, 10, 12, 9, 5, 4, 6, 5, 8, 4, 3];
/// Relative weights of `LEAD_SOURCES`, in its order: the web dominates.
const LEAD_SOURCE_WEIGHTS: &[u32] = &[34, 12, 10, 7, 14, 11, 5];
/// Relative weights of `PRODUCT_LINES`, in its order.
const PRODUCT_WEIGHTS: &[u32] = &[22, 25, 18, 15, 8, 12];

/// An iterator over generated rows, one `Vec<Value>` per record in the type's field order.
pub struct DemoRows<G> {
    source: G,
    next: u64,
    end: u64,
}

/// Something that makes the row of a given index.
pub(crate) trait RowSource {
    fn row(&self, index: u64) -> Vec<Value>;
}

impl<G: RowSource> Iterator for DemoRows<G> {
    type Item = Vec<Value>;

    fn next(&mut self) -> Option<Vec<Value>> {
        if self.next >= self.end {
            return None;
        }
        let row = self.source.row(self.next);
        self.next += 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.end - self.next).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

impl<G: RowSource> ExactSizeIterator for DemoRows<G> {}

fn rows<G: RowSource>(source: G, count: u64) -> DemoRows<G> {
    DemoRows { source, next: 0, end: count }
}

/// Where a generated value goes: the position of the field with the expected name and kind,
/// or nowhere.
#[derive(Clone, Copy, Debug)]
struct Slot(Option<usize>);

impl Slot {
    fn find(def: &RecordTypeDef, name: &str, kind: FieldKind) -> Self {
        Self(def.fields.iter().position(|f| f.name.as_str() == name && f.kind == kind))
    }
}

/// A row being filled: every field starts empty.
struct Row(Vec<Value>);

impl Row {
    fn new(width: usize) -> Self {
        Self(vec![Value::Empty; width])
    }

    fn put(&mut self, slot: Slot, value: Value) {
        if let Some(i) = slot.0 {
            self.0[i] = value;
        }
    }

    fn text(&mut self, slot: Slot, text: &str) {
        if slot.0.is_some() {
            self.put(slot, Value::Text(text.to_owned()));
        }
    }
}

/// A choice field: its options as ready-made values (an option the field does not offer is
/// `Empty`), and how often each is drawn.
struct ChoiceField {
    slot: Slot,
    options: Vec<Value>,
    weights: Weighted,
}

impl ChoiceField {
    fn find(def: &RecordTypeDef, name: &str, options: &[&str], weights: &[u32]) -> Self {
        let field = def.fields.iter().position(|f| f.name.as_str() == name && f.kind == FieldKind::Choice);
        let offered = |option: &str| field.is_some_and(|i| def.fields[i].choices.iter().any(|c| c == option));
        Self {
            slot: Slot(field),
            options: options
                .iter()
                .map(|o| if offered(o) { Value::Choice((*o).to_owned()) } else { Value::Empty })
                .collect(),
            weights: Weighted::new((0..options.len()).map(|i| weights.get(i).copied().unwrap_or(3))),
        }
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        self.weights.sample(rng)
    }

    fn put(&self, row: &mut Row, index: Option<usize>) {
        if let Some(value) = index.and_then(|i| self.options.get(i)) {
            row.put(self.slot, value.clone());
        }
    }
}

/// A name with the ASCII form used in email addresses.
struct Name {
    text: String,
    slug: String,
}

impl Name {
    fn new(raw: &str) -> Self {
        Self { text: display(raw).to_owned(), slug: ascii_slug(raw) }
    }
}

struct Culture {
    first: Vec<Name>,
    last: Vec<Name>,
    native_first: Vec<Name>,
    native_last: Vec<Name>,
    native_share: f64,
    family_name_first: bool,
}

struct CountryPool {
    name: String,
    /// (language, index into `Pools::cultures`)
    languages: Vec<(String, usize)>,
    language_weights: Weighted,
    cities: Vec<String>,
    phone_prefix: &'static str,
    tld: &'static str,
    webmail: &'static str,
}

struct Company {
    name: String,
    slug: String,
}

/// Everything drawn from, built once per generator.
struct Pools {
    countries: Vec<CountryPool>,
    country_weights: Weighted,
    cultures: Vec<Culture>,
    companies: Vec<Company>,
    job_titles: Vec<String>,
    /// `topics[product][template]`.
    topics: Vec<Vec<String>>,
}

impl Pools {
    fn new() -> Self {
        let names = |list: &[&str]| list.iter().map(|n| Name::new(n)).collect::<Vec<_>>();
        let cultures = CULTURES
            .iter()
            .map(|c| Culture {
                first: names(c.first),
                last: names(c.last),
                native_first: names(c.native_first),
                native_last: names(c.native_last),
                native_share: c.native_share,
                family_name_first: c.family_name_first,
            })
            .collect();
        let culture_of = |language: &str| CULTURES.iter().position(|c| c.languages.contains(&language)).unwrap_or(0);
        let countries = COUNTRIES
            .iter()
            .map(|c| CountryPool {
                name: c.name.to_owned(),
                languages: c.languages.iter().map(|(l, _)| ((*l).to_owned(), culture_of(l))).collect(),
                language_weights: Weighted::new(c.languages.iter().map(|(_, w)| *w)),
                cities: c.cities.iter().map(|s| (*s).to_owned()).collect(),
                phone_prefix: c.phone_prefix,
                tld: c.tld,
                webmail: c.webmail,
            })
            .collect();
        let companies = COMPANY_STEMS
            .iter()
            .flat_map(|stem| {
                let slug = ascii_slug(stem);
                COMPANY_SUFFIXES
                    .iter()
                    .map(move |suffix| Company { name: format!("{stem} {suffix}"), slug: slug.clone() })
            })
            .collect();
        let topics = PRODUCT_LINES
            .iter()
            .map(|product| TOPIC_TEMPLATES.iter().map(|t| t.replace("{}", product)).collect())
            .collect();
        Self {
            countries,
            country_weights: Weighted::new(COUNTRIES.iter().map(|c| c.weight)),
            cultures,
            companies,
            job_titles: JOB_TITLES.iter().map(|s| (*s).to_owned()).collect(),
            topics,
        }
    }
}

/// A person's name, drawn from a culture.
struct Person<'a> {
    first: &'a Name,
    last: &'a Name,
    family_name_first: bool,
}

impl Person<'_> {
    fn full_name(&self) -> String {
        let (a, b) = if self.family_name_first { (self.last, self.first) } else { (self.first, self.last) };
        let mut s = String::with_capacity(a.text.len() + b.text.len() + 1);
        s.push_str(&a.text);
        s.push(' ');
        s.push_str(&b.text);
        s
    }
}

/// What a row of another type needs to know about an account.
struct AccountCore {
    country: usize,
    city: usize,
    company: usize,
    /// Accounts beyond the company pool are branches: "Contoso Systems Lyon".
    branch: bool,
    industry: Option<usize>,
    employees: Option<i64>,
}

/// The state shared by all generators: spec, pools, sellers.
struct World {
    seed: u64,
    now: Timestamp,
    accounts: u64,
    contacts: u64,
    pools: Pools,
    sellers: Vec<SellerId>,
    company_offset: u64,
    /// Over `INDUSTRIES`, like the industry `ChoiceField`s, so indexes agree.
    industry_weights: Weighted,
}

/// A prime larger than the company pool, so `offset + k * STRIDE` visits every company
/// before repeating one.
const COMPANY_STRIDE: u64 = 7_919;

impl World {
    fn new(spec: &DemoSpec, sellers: &[SellerId]) -> Self {
        let pools = Pools::new();
        let company_offset = Rng::new(spec.seed).below(pools.companies.len() as u64);
        Self {
            seed: spec.seed,
            now: spec.now,
            accounts: spec.accounts,
            contacts: spec.contacts,
            pools,
            sellers: sellers.to_vec(),
            company_offset,
            industry_weights: Weighted::new(
                (0..INDUSTRIES.len()).map(|i| INDUSTRY_WEIGHTS.get(i).copied().unwrap_or(3)),
            ),
        }
    }

    fn country(&self, rng: &mut Rng) -> usize {
        self.pools.country_weights.sample(rng)
    }

    fn city(&self, country: usize, rng: &mut Rng) -> usize {
        rng.skewed_index(self.pools.countries[country].cities.len(), 1.6)
    }

    /// A language of the country, and the culture its people's names come from (now and
    /// then another one: not everybody has a name from the local language).
    fn language(&self, country: usize, rng: &mut Rng) -> (usize, usize) {
        let pool = &self.pools.countries[country];
        let language = pool.language_weights.sample(rng);
        let culture = if rng.chance(0.08) {
            rng.below(self.pools.cultures.len() as u64) as usize
        } else {
            pool.languages[language].1
        };
        (language, culture)
    }

    fn person(&self, culture: usize, rng: &mut Rng) -> Person<'_> {
        let c = &self.pools.cultures[culture];
        let native = !c.native_first.is_empty() && rng.chance(c.native_share);
        let (first, last) = if native { (&c.native_first, &c.native_last) } else { (&c.first, &c.last) };
        Person { first: rng.pick(first), last: rng.pick(last), family_name_first: c.family_name_first }
    }

    /// The account with `id` (1-based), as every generator sees it.
    fn account_core(&self, id: u64) -> (AccountCore, Rng) {
        let mut rng = Rng::for_row(self.seed, ACCOUNT_STREAM, id);
        let country = self.country(&mut rng);
        let city = self.city(country, &mut rng);
        let n = self.pools.companies.len() as u64;
        let k = id.saturating_sub(1);
        let company = ((self.company_offset + (k % n) * COMPANY_STRIDE) % n) as usize;
        let industry = (!rng.chance(0.05)).then(|| self.industry_weights.sample(&mut rng));
        let employees = (!rng.chance(0.08)).then(|| nice_count(10f64.powf(1.0 + 4.3 * rng.unit().powf(1.3))));
        (AccountCore { country, city, company, branch: k >= n, industry, employees }, rng)
    }

    fn account_name(&self, core: &AccountCore) -> String {
        let company = &self.pools.companies[core.company].name;
        if core.branch {
            let city = &self.pools.countries[core.country].cities[core.city];
            let mut s = String::with_capacity(company.len() + city.len() + 1);
            s.push_str(company);
            s.push(' ');
            s.push_str(city);
            s
        } else {
            company.clone()
        }
    }

    /// The account a contact (1-based id) belongs to, if any, and the contact's stream.
    fn contact_account(&self, id: u64) -> (Option<u64>, Rng) {
        let mut rng = Rng::for_row(self.seed, CONTACT_STREAM, id);
        let account = (self.accounts > 0 && rng.chance(0.88)).then(|| rng.below(self.accounts) + 1);
        (account, rng)
    }

    /// An owner for `share` of the records, favouring the first sellers a little.
    fn owner(&self, rng: &mut Rng, share: f64) -> Value {
        if self.sellers.is_empty() || !rng.chance(share) {
            return Value::Empty;
        }
        Value::Owner(self.sellers[rng.skewed_index(self.sellers.len(), 1.3)])
    }

    /// An instant up to `span_days` before now, recent ones more likely.
    fn created_on(&self, rng: &mut Rng, span_days: i64) -> Timestamp {
        let seconds = (rng.unit().powf(1.5) * (span_days * DAY_SECONDS) as f64) as i64;
        before(self.now, seconds)
    }

    /// An instant between `created` and now, recent ones more likely.
    fn activity_after(&self, rng: &mut Rng, created: Timestamp) -> Timestamp {
        let span = self.now.as_second().saturating_sub(created.as_second()).max(0);
        let seconds = (rng.unit().powf(1.8) * span as f64) as i64;
        before(self.now, seconds)
    }

    fn today(&self) -> Date {
        self.now.to_zoned(TimeZone::UTC).date()
    }

    fn phone(&self, country: usize, rng: &mut Rng) -> String {
        let prefix = self.pools.countries[country].phone_prefix;
        let mut s = String::with_capacity(prefix.len() + 14);
        s.push_str(prefix);
        s.push(' ');
        push_digits(&mut s, rng.between(20, 989) as u64, 3);
        s.push(' ');
        push_digits(&mut s, rng.below(10_000_000), 7);
        s
    }
}

fn before(now: Timestamp, seconds: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_secs(seconds.max(0))).unwrap_or(now)
}

fn push_digits(s: &mut String, mut n: u64, width: u32) {
    let mut buf = [b'0'; 20];
    let width = width.min(20) as usize;
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    for &b in &buf[..width] {
        s.push(char::from(b));
    }
}

/// Rounds a head count the way people write them: 7, 85, 240, 1,250, 12,000.
fn nice_count(x: f64) -> i64 {
    let n = x.round().max(1.0) as i64;
    match n {
        ..100 => n,
        100..1_000 => n / 10 * 10,
        1_000..10_000 => n / 50 * 50,
        _ => n / 500 * 500,
    }
}

/// A bell-shaped draw on a log scale between `low` and `high`, rounded to `step`.
fn log_bell(rng: &mut Rng, low: f64, high: f64, step: f64) -> f64 {
    let z = (rng.unit() + rng.unit() + rng.unit()) / 3.0;
    let x = low * (high / low).powf(z);
    ((x / step).round() * step).clamp(low, high)
}

fn revenue(rng: &mut Rng, employees: Option<i64>) -> f64 {
    let per_head = rng.between(60, 260) as f64 * 1_000.0;
    let raw = match employees {
        Some(n) => n as f64 * per_head,
        None => 10f64.powf(5.0 + 4.0 * rng.unit()),
    };
    (raw / 10_000.0).round().max(1.0) * 10_000.0
}

/// A work email ("emile.dubois@fabrikam.fr") or a personal one ("emile.dubois87@gmail.com").
fn email(rng: &mut Rng, person: &Person<'_>, company_slug: &str, tld: &str, webmail: &str) -> String {
    let (first, last) = (&person.first.slug, &person.last.slug);
    let mut s = String::with_capacity(first.len() + last.len() + company_slug.len() + 16);
    let r = rng.unit();
    if r < 0.62 {
        match rng.below(4) {
            0 => {
                s.push_str(first);
                s.push('.');
                s.push_str(last);
            }
            1 => {
                s.push_str(&first[..first.len().min(1)]);
                s.push_str(last);
            }
            2 => s.push_str(first),
            _ => {
                s.push_str(first);
                s.push('_');
                s.push_str(last);
            }
        }
        s.push('@');
        s.push_str(company_slug);
        s.push('.');
        s.push_str(if rng.chance(0.3) { "com" } else { tld });
    } else {
        s.push_str(first);
        s.push('.');
        s.push_str(last);
        if rng.chance(0.4) {
            push_digits(&mut s, rng.below(100), 2);
        }
        s.push('@');
        s.push_str(if r < 0.9 { "gmail.com" } else { webmail });
    }
    s
}
