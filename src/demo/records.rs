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

// ---------------------------------------------------------------------------------------
// Leads

struct LeadSlots {
    topic: Slot,
    first_name: Slot,
    last_name: Slot,
    email: Slot,
    phone: Slot,
    company: Slot,
    job_title: Slot,
    country: Slot,
    city: Slot,
    language: Slot,
    industry: ChoiceField,
    lead_source: ChoiceField,
    status: ChoiceField,
    rating: ChoiceField,
    product_interest: ChoiceField,
    estimated_value: Slot,
    employee_count: Slot,
    annual_revenue: Slot,
    score: Slot,
    qualified: Slot,
    created_on: Slot,
    last_activity_on: Slot,
    owner: Slot,
    account: Slot,
}

pub(crate) struct Leads {
    world: World,
    slots: LeadSlots,
    width: usize,
}

const RATINGS: &[&str] = &["Hot", "Warm", "Cold"];
const LEAD_STATUSES: &[&str] = &["New", "Contacted", "Qualified", "Disqualified"];

pub(crate) fn leads(spec: &DemoSpec, def: &RecordTypeDef, sellers: &[SellerId]) -> DemoRows<Leads> {
    use FieldKind as K;
    let s = |name, kind| Slot::find(def, name, kind);
    let slots = LeadSlots {
        topic: s("topic", K::Text),
        first_name: s("first_name", K::Text),
        last_name: s("last_name", K::Text),
        email: s("email", K::Text),
        phone: s("phone", K::Text),
        company: s("company", K::Text),
        job_title: s("job_title", K::Text),
        country: s("country", K::Text),
        city: s("city", K::Text),
        language: s("language", K::Text),
        industry: ChoiceField::find(def, "industry", INDUSTRIES, INDUSTRY_WEIGHTS),
        lead_source: ChoiceField::find(def, "lead_source", LEAD_SOURCES, LEAD_SOURCE_WEIGHTS),
        status: ChoiceField::find(def, "status", LEAD_STATUSES, &[40, 30, 15, 12]),
        rating: ChoiceField::find(def, "rating", RATINGS, &[1, 1, 1]),
        product_interest: ChoiceField::find(def, "product_interest", PRODUCT_LINES, PRODUCT_WEIGHTS),
        estimated_value: s("estimated_value", K::Money),
        employee_count: s("employee_count", K::WholeNumber),
        annual_revenue: s("annual_revenue", K::Money),
        score: s("score", K::WholeNumber),
        qualified: s("qualified", K::YesNo),
        created_on: s("created_on", K::DateTime),
        last_activity_on: s("last_activity_on", K::DateTime),
        owner: s("owner", K::Owner),
        account: s("account", K::Lookup),
    };
    rows(Leads { world: World::new(spec, sellers), slots, width: def.fields.len() }, spec.leads)
}

impl RowSource for Leads {
    fn row(&self, index: u64) -> Vec<Value> {
        let w = &self.world;
        let s = &self.slots;
        let pools = &w.pools;
        let mut rng = Rng::for_row(w.seed, LEAD_STREAM, index);
        let mut row = Row::new(self.width);

        // A quarter of the leads come from a known account: same company, mostly same place.
        let account = (w.accounts > 0 && rng.chance(0.25)).then(|| rng.below(w.accounts) + 1);
        let core = account.map(|id| w.account_core(id).0);
        let country = match &core {
            Some(core) if rng.chance(0.85) => core.country,
            _ => w.country(&mut rng),
        };
        let city = match &core {
            Some(core) if core.country == country && rng.chance(0.6) => core.city,
            _ => w.city(country, &mut rng),
        };
        let (language, culture) = w.language(country, &mut rng);
        let person = w.person(culture, &mut rng);
        let country_pool = &pools.countries[country];

        let (company_name, company_slug) = match &core {
            Some(core) => (w.account_name(core), &pools.companies[core.company].slug),
            None => {
                let company = &pools.companies[rng.below(pools.companies.len() as u64) as usize];
                (company.name.clone(), &company.slug)
            }
        };

        let product = (!rng.chance(0.08)).then(|| s.product_interest.draw(&mut rng));
        let topic_product = product.unwrap_or_else(|| s.product_interest.draw(&mut rng));
        let topics = &pools.topics[topic_product.min(pools.topics.len() - 1)];
        row.text(s.topic, rng.pick(topics).as_str());
        s.product_interest.put(&mut row, product);

        if !rng.chance(0.04) {
            row.put(s.first_name, Value::Text(person.first.text.clone()));
        }
        row.put(s.last_name, Value::Text(person.last.text.clone()));
        if !rng.chance(0.10) {
            let e = email(&mut rng, &person, company_slug, country_pool.tld, country_pool.webmail);
            row.put(s.email, Value::Text(e));
        }
        if !rng.chance(0.12) {
            row.put(s.phone, Value::Text(w.phone(country, &mut rng)));
        }
        if !rng.chance(0.05) {
            row.put(s.company, Value::Text(company_name));
        }
        if !rng.chance(0.10) {
            row.text(s.job_title, rng.pick(&pools.job_titles).as_str());
        }
        if !rng.chance(0.04) {
            row.text(s.country, &country_pool.name);
            if !rng.chance(0.06) {
                row.text(s.city, &country_pool.cities[city]);
            }
        }
        if !rng.chance(0.07) {
            row.text(s.language, &country_pool.languages[language].0);
        }

        let industry = match &core {
            Some(core) => core.industry,
            None => (!rng.chance(0.08)).then(|| s.industry.draw(&mut rng)),
        };
        s.industry.put(&mut row, industry);
        let source = (!rng.chance(0.05)).then(|| s.lead_source.draw(&mut rng));
        s.lead_source.put(&mut row, source);
        let status = (!rng.chance(0.02)).then(|| s.status.draw(&mut rng));
        s.status.put(&mut row, status);

        // Score and rating go together: high scores are mostly hot.
        let score = (!rng.chance(0.10)).then(|| (rng.unit().powf(1.4) * 101.0) as i64);
        if let Some(score) = score {
            row.put(s.score, Value::WholeNumber(score.min(100)));
        }
        let rating_weights: [u32; 3] = match score {
            Some(70..) => [60, 30, 10],
            Some(40..70) => [15, 50, 35],
            Some(_) => [5, 25, 70],
            None => [15, 35, 50],
        };
        if !rng.chance(0.10) {
            let rating = rng.weighted_index(&rating_weights);
            s.rating.put(&mut row, Some(rating));
        }

        if !rng.chance(0.12) {
            row.put(s.estimated_value, Value::Money(log_bell(&mut rng, 1_000.0, 500_000.0, 100.0)));
        }
        let employees = match &core {
            Some(core) => core.employees,
            None => (!rng.chance(0.12)).then(|| nice_count(10f64.powf(5.0 * rng.unit().powf(1.6)))),
        };
        if let Some(n) = employees {
            row.put(s.employee_count, Value::WholeNumber(n));
        }
        if !rng.chance(0.15) {
            row.put(s.annual_revenue, Value::Money(revenue(&mut rng, employees)));
        }
        let qualified = match status {
            Some(2) => Some(rng.chance(0.95)),
            Some(3) => Some(false),
            _ => match rng.below(10) {
                0 => Some(true),
                1..=6 => Some(false),
                _ => None,
            },
        };
        if let Some(q) = qualified {
            row.put(s.qualified, Value::YesNo(q));
        }

        let created = w.created_on(&mut rng, 730);
        row.put(s.created_on, Value::DateTime(created));
        let never_touched = if status == Some(0) { 0.35 } else { 0.06 };
        if !rng.chance(never_touched) {
            row.put(s.last_activity_on, Value::DateTime(w.activity_after(&mut rng, created)));
        }
        row.put(s.owner, w.owner(&mut rng, 0.55));
        if let Some(id) = account {
            row.put(s.account, Value::Lookup(RecordId(id as i64)));
        }
        row.0
    }
}

// ---------------------------------------------------------------------------------------
// Accounts

struct AccountSlots {
    name: Slot,
    account_type: ChoiceField,
    industry: ChoiceField,
    website: Slot,
    phone: Slot,
    email: Slot,
    country: Slot,
    city: Slot,
    employee_count: Slot,
    annual_revenue: Slot,
    parent_account: Slot,
    owner: Slot,
    created_on: Slot,
}

pub(crate) struct Accounts {
    world: World,
    slots: AccountSlots,
    width: usize,
}

pub(crate) fn accounts(spec: &DemoSpec, def: &RecordTypeDef, sellers: &[SellerId]) -> DemoRows<Accounts> {
    use FieldKind as K;
    let s = |name, kind| Slot::find(def, name, kind);
    let slots = AccountSlots {
        name: s("name", K::Text),
        account_type: ChoiceField::find(
            def,
            "account_type",
            &["Prospect", "Customer", "Partner", "Competitor", "Reseller"],
            &[45, 35, 10, 3, 7],
        ),
        industry: ChoiceField::find(def, "industry", INDUSTRIES, INDUSTRY_WEIGHTS),
        website: s("website", K::Text),
        phone: s("phone", K::Text),
        email: s("email", K::Text),
        country: s("country", K::Text),
        city: s("city", K::Text),
        employee_count: s("employee_count", K::WholeNumber),
        annual_revenue: s("annual_revenue", K::Money),
        parent_account: s("parent_account", K::Lookup),
        owner: s("owner", K::Owner),
        created_on: s("created_on", K::DateTime),
    };
    rows(Accounts { world: World::new(spec, sellers), slots, width: def.fields.len() }, spec.accounts)
}

impl RowSource for Accounts {
    fn row(&self, index: u64) -> Vec<Value> {
        let w = &self.world;
        let s = &self.slots;
        let id = index + 1;
        let (core, mut rng) = w.account_core(id);
        let mut row = Row::new(self.width);
        let country = &w.pools.countries[core.country];
        let slug = &w.pools.companies[core.company].slug;
        let tld = if rng.chance(0.4) { "com" } else { country.tld };

        row.put(s.name, Value::Text(w.account_name(&core)));
        let kind = (!rng.chance(0.04)).then(|| s.account_type.draw(&mut rng));
        s.account_type.put(&mut row, kind);
        s.industry.put(&mut row, core.industry);
        if !rng.chance(0.10) {
            let mut site = String::with_capacity(slug.len() + tld.len() + 13);
            site.push_str("https://www.");
            site.push_str(slug);
            site.push('.');
            site.push_str(tld);
            row.put(s.website, Value::Text(site));
        }
        if !rng.chance(0.08) {
            row.put(s.phone, Value::Text(w.phone(core.country, &mut rng)));
        }
        if !rng.chance(0.15) {
            let mailbox = *rng.pick(&["info", "contact", "sales", "hello", "office"]);
            let mut e = String::with_capacity(mailbox.len() + slug.len() + tld.len() + 2);
            e.push_str(mailbox);
            e.push('@');
            e.push_str(slug);
            e.push('.');
            e.push_str(tld);
            row.put(s.email, Value::Text(e));
        }
        if !rng.chance(0.03) {
            row.text(s.country, &country.name);
            if !rng.chance(0.05) {
                row.text(s.city, &country.cities[core.city]);
            }
        }
        if let Some(n) = core.employees {
            row.put(s.employee_count, Value::WholeNumber(n));
        }
        if !rng.chance(0.12) {
            row.put(s.annual_revenue, Value::Money(revenue(&mut rng, core.employees)));
        }
        // Some accounts belong to one of the first few dozen (the big groups). Parents always
        // have smaller ids, so rows can be inserted in order with foreign keys on.
        if id > 30 && rng.chance(0.08) {
            let parent = rng.skewed_index(30, 1.5) as i64 + 1;
            row.put(s.parent_account, Value::Lookup(RecordId(parent)));
        }
        row.put(s.owner, w.owner(&mut rng, 0.85));
        row.put(s.created_on, Value::DateTime(w.created_on(&mut rng, 1_460)));
        row.0
    }
}

// ---------------------------------------------------------------------------------------
// Contacts

struct ContactSlots {
    full_name: Slot,
    first_name: Slot,
    last_name: Slot,
    email: Slot,
    phone: Slot,
    job_title: Slot,
    account: Slot,
    country: Slot,
    city: Slot,
    language: Slot,
    preferred_contact_method: ChoiceField,
    do_not_email: Slot,
    birthday: Slot,
    owner: Slot,
    created_on: Slot,
}

pub(crate) struct Contacts {
    world: World,
    slots: ContactSlots,
    width: usize,
}

pub(crate) fn contacts(spec: &DemoSpec, def: &RecordTypeDef, sellers: &[SellerId]) -> DemoRows<Contacts> {
    use FieldKind as K;
    let s = |name, kind| Slot::find(def, name, kind);
    let slots = ContactSlots {
        full_name: s("full_name", K::Text),
        first_name: s("first_name", K::Text),
        last_name: s("last_name", K::Text),
        email: s("email", K::Text),
        phone: s("phone", K::Text),
        job_title: s("job_title", K::Text),
        account: s("account", K::Lookup),
        country: s("country", K::Text),
        city: s("city", K::Text),
        language: s("language", K::Text),
        preferred_contact_method: ChoiceField::find(
            def,
            "preferred_contact_method",
            &["Any", "Email", "Phone", "Mail"],
            &[40, 35, 20, 5],
        ),
        do_not_email: s("do_not_email", K::YesNo),
        birthday: s("birthday", K::Date),
        owner: s("owner", K::Owner),
        created_on: s("created_on", K::DateTime),
    };
    rows(Contacts { world: World::new(spec, sellers), slots, width: def.fields.len() }, spec.contacts)
}

impl RowSource for Contacts {
    fn row(&self, index: u64) -> Vec<Value> {
        let w = &self.world;
        let s = &self.slots;
        let pools = &w.pools;
        let (account, mut rng) = w.contact_account(index + 1);
        let core = account.map(|id| w.account_core(id).0);
        let mut row = Row::new(self.width);

        let country = match &core {
            Some(core) if rng.chance(0.9) => core.country,
            _ => w.country(&mut rng),
        };
        let city = match &core {
            Some(core) if core.country == country && rng.chance(0.7) => core.city,
            _ => w.city(country, &mut rng),
        };
        let (language, culture) = w.language(country, &mut rng);
        let person = w.person(culture, &mut rng);
        let country_pool = &pools.countries[country];
        let company_slug = match &core {
            Some(core) => &pools.companies[core.company].slug,
            None => &pools.companies[rng.below(pools.companies.len() as u64) as usize].slug,
        };

        row.put(s.full_name, Value::Text(person.full_name()));
        if !rng.chance(0.03) {
            row.put(s.first_name, Value::Text(person.first.text.clone()));
        }
        row.put(s.last_name, Value::Text(person.last.text.clone()));
        if !rng.chance(0.08) {
            let e = email(&mut rng, &person, company_slug, country_pool.tld, country_pool.webmail);
            row.put(s.email, Value::Text(e));
        }
        if !rng.chance(0.12) {
            row.put(s.phone, Value::Text(w.phone(country, &mut rng)));
        }
        if !rng.chance(0.10) {
            row.text(s.job_title, rng.pick(&pools.job_titles).as_str());
        }
        if let Some(id) = account {
            row.put(s.account, Value::Lookup(RecordId(id as i64)));
        }
        if !rng.chance(0.04) {
            row.text(s.country, &country_pool.name);
            if !rng.chance(0.06) {
                row.text(s.city, &country_pool.cities[city]);
            }
        }
        if !rng.chance(0.08) {
            row.text(s.language, &country_pool.languages[language].0);
        }
        let method = (!rng.chance(0.10)).then(|| s.preferred_contact_method.draw(&mut rng));
        s.preferred_contact_method.put(&mut row, method);
        match rng.below(100) {
            0..8 => row.put(s.do_not_email, Value::YesNo(true)),
            8..88 => row.put(s.do_not_email, Value::YesNo(false)),
            _ => {}
        }
        if rng.chance(0.3) {
            let birthday =
                Date::new(rng.between(1955, 2001) as i16, rng.between(1, 12) as i8, rng.between(1, 28) as i8);
            if let Ok(day) = birthday {
                row.put(s.birthday, Value::Date(day));
            }
        }
        row.put(s.owner, w.owner(&mut rng, 0.6));
        row.put(s.created_on, Value::DateTime(w.created_on(&mut rng, 1_095)));
        row.0
    }
}

// ---------------------------------------------------------------------------------------
// Opportunities

struct OpportunitySlots {
    topic: Slot,
    account: Slot,
    contact: Slot,
    estimated_value: Slot,
    probability: Slot,
    stage: ChoiceField,
    status: ChoiceField,
    rating: ChoiceField,
    product_line: ChoiceField,
    estimated_close_date: Slot,
    discount: Slot,
    owner: Slot,
    created_on: Slot,
    last_activity_on: Slot,
}

pub(crate) struct Opportunities {
    world: World,
    slots: OpportunitySlots,
    width: usize,
    today: Date,
}

const DEAL_KINDS: &[&str] = &["new business", "expansion", "renewal", "upgrade", "pilot", "migration"];

pub(crate) fn opportunities(spec: &DemoSpec, def: &RecordTypeDef, sellers: &[SellerId]) -> DemoRows<Opportunities> {
    use FieldKind as K;
    let s = |name, kind| Slot::find(def, name, kind);
    let slots = OpportunitySlots {
        topic: s("topic", K::Text),
        account: s("account", K::Lookup),
        contact: s("contact", K::Lookup),
        estimated_value: s("estimated_value", K::Money),
        probability: s("probability", K::WholeNumber),
        stage: ChoiceField::find(def, "stage", &["Qualify", "Develop", "Propose", "Close"], &[35, 30, 20, 15]),
        status: ChoiceField::find(def, "status", &["Open", "Won", "Lost"], &[70, 18, 12]),
        rating: ChoiceField::find(def, "rating", RATINGS, &[25, 45, 30]),
        product_line: ChoiceField::find(def, "product_line", PRODUCT_LINES, PRODUCT_WEIGHTS),
        estimated_close_date: s("estimated_close_date", K::Date),
        discount: s("discount", K::Decimal),
        owner: s("owner", K::Owner),
        created_on: s("created_on", K::DateTime),
        last_activity_on: s("last_activity_on", K::DateTime),
    };
    let world = World::new(spec, sellers);
    let today = world.today();
    rows(Opportunities { world, slots, width: def.fields.len(), today }, spec.opportunities)
}

impl RowSource for Opportunities {
    fn row(&self, index: u64) -> Vec<Value> {
        let w = &self.world;
        let s = &self.slots;
        let mut rng = Rng::for_row(w.seed, OPPORTUNITY_STREAM, index);
        let mut row = Row::new(self.width);

        // Mostly through a contact, whose account the opportunity then belongs to.
        let contact = (w.contacts > 0 && rng.chance(0.8)).then(|| rng.below(w.contacts) + 1);
        let account = match contact.and_then(|c| w.contact_account(c).0) {
            Some(account) => Some(account),
            None => (w.accounts > 0 && rng.chance(0.9)).then(|| rng.below(w.accounts) + 1),
        };
        let product = (!rng.chance(0.05)).then(|| s.product_line.draw(&mut rng));
        let product_name = PRODUCT_LINES[product.unwrap_or(0).min(PRODUCT_LINES.len() - 1)];
        let deal = *rng.pick(DEAL_KINDS);
        let mut topic = match account {
            Some(id) => {
                let mut t = w.account_name(&w.account_core(id).0);
                t.push_str(": ");
                t
            }
            None => String::new(),
        };
        topic.push_str(product_name);
        topic.push(' ');
        topic.push_str(deal);
        row.put(s.topic, Value::Text(topic));
        if let Some(id) = account {
            row.put(s.account, Value::Lookup(RecordId(id as i64)));
        }
        if let Some(id) = contact {
            row.put(s.contact, Value::Lookup(RecordId(id as i64)));
        }
        if !rng.chance(0.08) {
            row.put(s.estimated_value, Value::Money(log_bell(&mut rng, 2_000.0, 500_000.0, 500.0)));
        }
        let stage = s.stage.draw(&mut rng);
        let status = s.status.draw(&mut rng);
        let (low, high) = [(10, 30), (30, 60), (50, 80), (70, 95)][stage.min(3)];
        let probability = match status {
            1 => 100,
            2 => 0,
            _ => rng.between(low, high) / 5 * 5,
        };
        if !rng.chance(0.06) {
            row.put(s.probability, Value::WholeNumber(probability));
        }
        if !rng.chance(0.03) {
            s.stage.put(&mut row, Some(stage));
        }
        s.status.put(&mut row, Some(status));
        if !rng.chance(0.10) {
            s.rating.put(&mut row, Some(s.rating.draw(&mut rng)));
        }
        s.product_line.put(&mut row, product);

        let created = w.created_on(&mut rng, 540);
        // Open deals close in the coming months (a few are overdue); closed ones closed
        // between creation and today.
        let close_offset = if status == 0 {
            rng.between(-20, 180)
        } else {
            let age_days = (w.now.as_second() - created.as_second()) / DAY_SECONDS;
            -rng.between(0, age_days.max(0))
        };
        if !rng.chance(0.07)
            && let Ok(close) = self.today.checked_add(Span::new().days(close_offset))
        {
            row.put(s.estimated_close_date, Value::Date(close));
        }
        if rng.chance(0.4) {
            row.put(s.discount, Value::Decimal((rng.unit() * 25.0 * 2.0).round() / 2.0));
        }
        row.put(s.owner, w.owner(&mut rng, 0.92));
        row.put(s.created_on, Value::DateTime(created));
        if !rng.chance(0.05) {
            row.put(s.last_activity_on, Value::DateTime(w.activity_after(&mut rng, created)));
        }
        row.0
    }
}
