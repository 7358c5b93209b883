//! Accounts, their contacts and their opportunities: each row recomputes the account it
//! belongs to from the seed.

use super::leads::RATINGS;
use super::{
    ChoiceField, DAY_SECONDS, Date, DemoRows, DemoSpec, FieldKind, INDUSTRIES, INDUSTRY_WEIGHTS, OPPORTUNITY_STREAM,
    PRODUCT_LINES, PRODUCT_WEIGHTS, RecordId, RecordTypeDef, Rng, Row, RowSource, SellerId, Slot, Span, Value, World,
    email, log_bell, revenue, rows,
};

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
