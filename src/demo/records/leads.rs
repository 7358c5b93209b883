//! Leads: a person, their company and what they asked about.

use super::{
    AccountCore, ChoiceField, DemoRows, DemoSpec, FieldKind, INDUSTRIES, INDUSTRY_WEIGHTS, LEAD_SOURCE_WEIGHTS,
    LEAD_SOURCES, LEAD_STREAM, PRODUCT_LINES, PRODUCT_WEIGHTS, RecordId, RecordTypeDef, Rng, Row, RowSource, SellerId,
    Slot, Value, World, email, log_bell, nice_count, revenue, rows,
};

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

pub(super) const RATINGS: &[&str] = &["Hot", "Warm", "Cold"];
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

        let (company_name, company_slug) = if let Some(core) = &core {
            (w.account_name(core), &pools.companies[core.company].slug)
        } else {
            let company = &pools.companies[rng.below(pools.companies.len() as u64) as usize];
            (company.name.clone(), &company.slug)
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

        self.score_and_size(&mut rng, &mut row, core.as_ref(), status);

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

impl Leads {
    /// Score, rating, estimated value, company size and qualification: drawn after the
    /// status, in this order (a row depends on the order of its draws).
    fn score_and_size(&self, rng: &mut Rng, row: &mut Row, core: Option<&AccountCore>, status: Option<usize>) {
        let s = &self.slots;
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
            s.rating.put(row, Some(rating));
        }

        if !rng.chance(0.12) {
            row.put(s.estimated_value, Value::Money(log_bell(rng, 1_000.0, 500_000.0, 100.0)));
        }
        let employees = match core {
            Some(core) => core.employees,
            None => (!rng.chance(0.12)).then(|| nice_count(10f64.powf(5.0 * rng.unit().powf(1.6)))),
        };
        if let Some(n) = employees {
            row.put(s.employee_count, Value::WholeNumber(n));
        }
        if !rng.chance(0.15) {
            row.put(s.annual_revenue, Value::Money(revenue(rng, employees)));
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
    }
}
