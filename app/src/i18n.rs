//! Every string the UI shows, in Russian and English, and locale-aware
//! formatting of money, dates, times and plurals.
//!
//! Messages are declared once with both translations; the `messages!` macro
//! makes a missing translation a compile error, which is the guarantee we
//! wanted from an i18n layer without a build-time code generator.

use crate::domain::Money;
use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

/// Name of the cookie that remembers the chosen language.
pub const LOCALE_COOKIE: &str = "studio_locale";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Locale {
    #[default]
    Ru,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Ru, Locale::En];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::Ru => "ru",
            Locale::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::Ru => "Русский",
            Locale::En => "English",
        }
    }

    /// Parses a language tag such as `ru`, `en-GB` or `EN`.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ru" => Some(Locale::Ru),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// Picks the locale: the cookie wins, then the best supported language of
    /// `Accept-Language` by quality, then Russian (the studio's home market).
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
        if let Some(l) = cookie.and_then(Locale::from_tag) {
            return l;
        }
        let mut best: Option<(f32, Locale)> = None;
        for item in accept_language.unwrap_or("").split(',') {
            let mut parts = item.split(';');
            let Some(locale) = parts.next().and_then(Locale::from_tag) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }

    /// Formats an amount of roubles: `1 500 ₽` / `₽1,500`; kopecks only when present.
    pub fn money(self, amount: Money) -> String {
        let (negative, roubles, kopecks) = amount.parts();
        let sign = if negative { "−" } else { "" };
        match self {
            Locale::Ru => {
                let whole = group_thousands(roubles, '\u{202f}');
                if kopecks == 0 {
                    format!("{sign}{whole}\u{a0}₽")
                } else {
                    format!("{sign}{whole},{kopecks:02}\u{a0}₽")
                }
            }
            Locale::En => {
                let whole = group_thousands(roubles, ',');
                if kopecks == 0 {
                    format!("{sign}₽{whole}")
                } else {
                    format!("{sign}₽{whole}.{kopecks:02}")
                }
            }
        }
    }

    /// A long date: `21 ноября 2026` / `21 November 2026`.
    pub fn date(self, date: NaiveDate) -> String {
        let month = date.month0() as usize;
        match self {
            Locale::Ru => format!(
                "{} {} {}",
                date.day(),
                RU_MONTHS_GENITIVE[month],
                date.year()
            ),
            Locale::En => format!("{} {} {}", date.day(), EN_MONTHS[month], date.year()),
        }
    }

    /// A short weekday and date: `сб, 21 нояб.` / `Sat, 21 Nov`.
    pub fn short_date(self, date: NaiveDate) -> String {
        let wd = date.weekday().num_days_from_monday() as usize;
        let month = date.month0() as usize;
        match self {
            Locale::Ru => format!(
                "{}, {} {}",
                RU_WEEKDAYS[wd],
                date.day(),
                RU_MONTHS_SHORT[month]
            ),
            Locale::En => format!(
                "{}, {} {}",
                EN_WEEKDAYS[wd],
                date.day(),
                &EN_MONTHS[month][..3]
            ),
        }
    }

    /// A wall-clock time; both locales use the 24-hour clock the studio works by.
    pub fn time(self, time: NaiveTime) -> String {
        format!("{:02}:{:02}", time.hour(), time.minute())
    }

    /// Chooses the plural form of `n` by the CLDR rules of the language.
    pub fn plural_category(self, n: u64) -> PluralCategory {
        match self {
            Locale::En => {
                if n == 1 {
                    PluralCategory::One
                } else {
                    PluralCategory::Other
                }
            }
            Locale::Ru => {
                let (m10, m100) = (n % 10, n % 100);
                if m10 == 1 && m100 != 11 {
                    PluralCategory::One
                } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
                    PluralCategory::Few
                } else {
                    PluralCategory::Many
                }
            }
        }
    }

    pub fn t(self, msg: Msg) -> &'static str {
        msg.text(self)
    }

    /// `n` with its noun in the right plural form, e.g. `3 человека`.
    pub fn count(self, n: u64, noun: Noun) -> String {
        format!("{n} {}", noun.form(self, self.plural_category(n)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluralCategory {
    One,
    Few,
    Many,
    Other,
}

fn group_thousands(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

const RU_MONTHS_GENITIVE: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const RU_MONTHS_SHORT: [&str; 12] = [
    "янв.",
    "февр.",
    "мар.",
    "апр.",
    "мая",
    "июн.",
    "июл.",
    "авг.",
    "сент.",
    "окт.",
    "нояб.",
    "дек.",
];
const RU_WEEKDAYS: [&str; 7] = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Declares UI messages; every message must have both translations.
macro_rules! messages {
    ($($key:ident { en: $en:expr, ru: $ru:expr $(,)? })*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $($key),* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$key),*];

            pub fn text(self, locale: Locale) -> &'static str {
                match locale {
                    Locale::En => match self { $(Msg::$key => $en),* },
                    Locale::Ru => match self { $(Msg::$key => $ru),* },
                }
            }
        }
    };
}

/// Declares countable nouns with their plural forms per language.
macro_rules! nouns {
    ($($key:ident { en: [$en1:expr, $en_other:expr], ru: [$ru1:expr, $ru_few:expr, $ru_many:expr] $(,)? })*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Noun { $($key),* }

        impl Noun {
            pub fn form(self, locale: Locale, category: PluralCategory) -> &'static str {
                match (locale, category) {
                    (Locale::En, PluralCategory::One) => match self { $(Noun::$key => $en1),* },
                    (Locale::En, _) => match self { $(Noun::$key => $en_other),* },
                    (Locale::Ru, PluralCategory::One) => match self { $(Noun::$key => $ru1),* },
                    (Locale::Ru, PluralCategory::Few) => match self { $(Noun::$key => $ru_few),* },
                    (Locale::Ru, _) => match self { $(Noun::$key => $ru_many),* },
                }
            }
        }
    };
}

nouns! {
    Person { en: ["person", "people"], ru: ["человек", "человека", "человек"] }
    Guest { en: ["guest", "guests"], ru: ["гость", "гостя", "гостей"] }
    Hour { en: ["hour", "hours"], ru: ["час", "часа", "часов"] }
    Space { en: ["space", "spaces"], ru: ["зал", "зала", "залов"] }
    Visit { en: ["visit", "visits"], ru: ["визит", "визита", "визитов"] }
    NoShow { en: ["no-show", "no-shows"], ru: ["неявка", "неявки", "неявок"] }
}

messages! {
    SkipToContent { en: "Skip to content", ru: "Перейти к содержанию" }
    NavSpaces { en: "Spaces", ru: "Залы" }
    NavBook { en: "Book", ru: "Забронировать" }
    NavStaff { en: "Staff", ru: "Сотрудникам" }
    NavMenu { en: "Menu", ru: "Меню" }
    Language { en: "Language", ru: "Язык" }
    HeroTitle { en: "Book a photo studio by the hour", ru: "Аренда фотостудии по часам" }
    HeroLead {
        en: "Pick a space, choose a free time and book in a minute — no account needed.",
        ru: "Выберите зал и свободное время — бронирование за минуту, без регистрации.",
    }
    OurSpaces { en: "Our spaces", ru: "Наши залы" }
    NoSpaces { en: "No spaces are open for booking yet.", ru: "Пока нет залов, открытых для бронирования." }
    PerHour { en: "per hour", ru: "в час" }
    UpTo { en: "up to", ru: "до" }
    IncludedInPrice { en: "included in the price", ru: "входят в стоимость" }
    ExtraPerson { en: "each extra person", ru: "каждый дополнительный гость" }
    Loading { en: "Loading…", ru: "Загрузка…" }
    TimesShownIn { en: "Times are shown in", ru: "Время указано в поясе" }
    StaffArea { en: "Staff area", ru: "Рабочее место" }
    StaffBoard { en: "Board", ru: "Доска" }
    StaffCalendar { en: "Calendar", ru: "Календарь" }
    StaffBookings { en: "Bookings", ru: "Бронирования" }
    StaffClients { en: "Clients", ru: "Клиенты" }
    StaffEmployees { en: "Employees", ru: "Сотрудники" }
    StaffSettings { en: "Settings", ru: "Настройки" }
    StaffAnalytics { en: "Analytics", ru: "Аналитика" }
    StaffAudit { en: "Audit log", ru: "Журнал аудита" }
    StaffRequests { en: "Data requests", ru: "Запросы о данных" }
    StaffWelcome { en: "Welcome to the studio's workplace", ru: "Рабочее место студии" }
    StaffComingSoon {
        en: "The board, calendar and client base open here as they are released.",
        ru: "Доска, календарь и база клиентов появятся здесь по мере готовности.",
    }
    CollapseSidebar { en: "Collapse the sidebar", ru: "Свернуть меню" }
    ExpandSidebar { en: "Expand the sidebar", ru: "Развернуть меню" }
    NotFoundTitle { en: "Page not found", ru: "Страница не найдена" }
    NotFoundText {
        en: "The page you are looking for does not exist or has moved.",
        ru: "Такой страницы нет или она переехала.",
    }
    BackHome { en: "Back to the home page", ru: "На главную" }
    ErrorTitle { en: "Something went wrong", ru: "Что-то пошло не так" }
    ErrorRetry { en: "Please try again in a moment.", ru: "Попробуйте ещё раз чуть позже." }
    ErrorUnavailable { en: "The service is temporarily unavailable.", ru: "Сервис временно недоступен." }
    BookThisSpace { en: "Book this space", ru: "Забронировать зал" }
    BookTitle { en: "Book", ru: "Бронирование" }
    PrevDay { en: "Previous day", ru: "Предыдущий день" }
    NextDay { en: "Next day", ru: "Следующий день" }
    ShowDay { en: "Show", ru: "Показать" }
    ChooseDate { en: "Date", ru: "Дата" }
    FreeTimes { en: "Free times", ru: "Свободное время" }
    NoFreeTimes { en: "No free times on this day. Try another date.", ru: "На этот день свободного времени нет. Выберите другую дату." }
    ErrTelegram { en: "A Telegram username like @studio_name (5–32 letters, digits or _).", ru: "Имя в Telegram вида @studio_name (5–32 латинские буквы, цифры или _)." }
    ErrMapUrl { en: "A link that starts with https://", ru: "Ссылка, начинающаяся с https://" }
    ErrTooLongText { en: "Too long: shorten the text.", ru: "Слишком длинный текст — сократите." }
    ContactsTitle { en: "Contacts, rules and payment", ru: "Контакты, правила и оплата" }
    ContactsHint {
        en: "Guests see these on every page, on the confirmation and on their booking's page. Leave empty what you do not use.",
        ru: "Гости видят это на каждой странице, в подтверждении и на странице своей брони. Ненужное оставьте пустым.",
    }
    StudioPhone { en: "Studio phone", ru: "Телефон студии" }
    WhatsappNumber { en: "WhatsApp number", ru: "Номер в WhatsApp" }
    TelegramName { en: "Telegram username", ru: "Имя в Telegram" }
    StudioEmail { en: "Studio e-mail", ru: "Почта студии" }
    AddressRu { en: "Address in Russian", ru: "Адрес по-русски" }
    AddressEn { en: "Address in English", ru: "Адрес по-английски" }
    DirectionsRu { en: "How to get there, in Russian", ru: "Как добраться, по-русски" }
    DirectionsEn { en: "How to get there, in English", ru: "Как добраться, по-английски" }
    MapLink { en: "Map link (https://…)", ru: "Ссылка на карту (https://…)" }
    RulesRu { en: "Studio rules, in Russian", ru: "Правила студии, по-русски" }
    RulesEn { en: "Studio rules, in English", ru: "Правила студии, по-английски" }
    PaymentRu { en: "How to pay, in Russian", ru: "Как оплатить, по-русски" }
    PaymentEn { en: "How to pay, in English", ru: "Как оплатить, по-английски" }
    GuestSiteTitle { en: "Guest site: logo and space pages", ru: "Сайт для гостей: логотип и страницы залов" }
    GuestSiteHint {
        en: "What guests see before booking. Photos are resized for phones automatically (JPEG, PNG or WebP, up to 20 MB).",
        ru: "Что гости видят до бронирования. Фото сами уменьшаются для телефонов (JPEG, PNG или WebP, до 20 МБ).",
    }
    LogoLabel { en: "Logo", ru: "Логотип" }
    NoLogo { en: "No logo: the header shows the studio's name.", ru: "Логотипа нет: в шапке — название студии." }
    RemoveLogo { en: "Remove the logo", ru: "Убрать логотип" }
    RemoveLogoConfirm { en: "Remove the logo from the guest pages?", ru: "Убрать логотип со страниц для гостей?" }
    DescriptionRu { en: "Description, in Russian", ru: "Описание, по-русски" }
    DescriptionEn { en: "Description, in English", ru: "Описание, по-английски" }
    IncludedRu { en: "Included in the price, in Russian", ru: "Что входит в стоимость, по-русски" }
    IncludedEn { en: "Included in the price, in English", ru: "Что входит в стоимость, по-английски" }
    IncludedHint { en: "One item per line: backgrounds, light, props.", ru: "По пункту в строке: фоны, свет, реквизит." }
    AreaM2 { en: "Area, m²", ru: "Площадь, м²" }
    CeilingM { en: "Ceiling height, m", ru: "Высота потолков, м" }
    PhotosLabel { en: "Photos", ru: "Фотографии" }
    NoPhotos { en: "No photos yet.", ru: "Фотографий пока нет." }
    PhotoFile { en: "Image file", ru: "Файл изображения" }
    AltRu { en: "What the photo shows, in Russian", ru: "Что на фото, по-русски" }
    AltEn { en: "What the photo shows, in English", ru: "Что на фото, по-английски" }
    Upload { en: "Upload", ru: "Загрузить" }
    Uploading { en: "Uploading…", ru: "Загружаем…" }
    DeletePhoto { en: "Delete photo", ru: "Удалить фото" }
    KnownClients { en: "Clients on file — choose to fill in", ru: "Есть в базе — выберите, чтобы подставить" }
    DeletePhotoConfirm { en: "Delete this photo? Guests will no longer see it.", ru: "Удалить это фото? Гости перестанут его видеть." }
    AddressLabel { en: "Address", ru: "Адрес" }
    OnTheMap { en: "Open on the map", ru: "Открыть на карте" }
    HowToGetThere { en: "How to get there", ru: "Как добраться" }
    WriteTelegram { en: "Message us on Telegram", ru: "Написать в Telegram" }
    WriteWhatsapp { en: "Message us on WhatsApp", ru: "Написать в WhatsApp" }
    ContactsLabel { en: "Contacts", ru: "Контакты" }
    WhereLabel { en: "Where", ru: "Где" }
    CancelClosedAt { en: "Online cancellation was possible until", ru: "Отменить онлайн можно было до" }
    CancelCallStudio {
        en: "To cancel or move this booking now, call the studio:",
        ru: "Чтобы отменить или перенести бронь сейчас, позвоните в студию:",
    }
    CancelWriteStudio {
        en: "To cancel or move this booking now, contact the studio.",
        ru: "Чтобы отменить или перенести бронь сейчас, свяжитесь со студией.",
    }
    SlotBusy { en: "taken", ru: "занято" }
    NextFreeDay { en: "The next day with free time:", ru: "Ближайший день со свободным временем:" }
    ChooseTime { en: "Choose a start time to continue.", ru: "Выберите время начала, чтобы продолжить." }
    YourBooking { en: "Your booking", ru: "Ваше бронирование" }
    Duration { en: "Duration", ru: "Длительность" }
    People { en: "Number of people", ru: "Количество человек" }
    YourName { en: "Your name", ru: "Ваше имя" }
    Phone { en: "Phone", ru: "Телефон" }
    PhoneHint { en: "We call or text only about this booking.", ru: "Мы позвоним или напишем только по поводу этого бронирования." }
    EmailOptional { en: "E-mail (optional)", ru: "E-mail (необязательно)" }
    Requirements { en: "Special requirements (optional)", ru: "Пожелания (необязательно)" }
    PromoCode { en: "Promo code (optional)", ru: "Промокод (необязательно)" }
    HoneypotLabel { en: "Leave this field empty", ru: "Оставьте это поле пустым" }
    ConsentLabel {
        en: "I agree to the processing of my personal data (name, phone, e-mail) by the studio to handle this booking, under Russian law 152-FZ and the GDPR. I can withdraw consent at any time by contacting the studio.",
        ru: "Я согласен(на) на обработку моих персональных данных (имя, телефон, e-mail) студией для оформления этого бронирования в соответствии с 152-ФЗ и GDPR. Согласие можно отозвать в любой момент, обратившись в студию.",
    }
    ConsentVersion { en: "Consent text version", ru: "Версия текста согласия" }
    PriceBase { en: "Rent", ru: "Аренда" }
    PriceExtraPeople { en: "Extra people", ru: "Дополнительные гости" }
    PriceEquipment { en: "Equipment", ru: "Оборудование" }
    PriceDiscount { en: "Discount", ru: "Скидка" }
    PriceTotal { en: "Total", ru: "Итого" }
    PriceOnSubmit { en: "The total for the hours and people you choose is confirmed when you book.", ru: "Итог для выбранных часов и числа гостей подтвердится после бронирования." }
    PriceNote { en: "A promo code is applied when you book.", ru: "Промокод применяется при бронировании." }
    SubmitBooking { en: "Book now", ru: "Забронировать" }
    FixErrors { en: "Please correct the highlighted fields.", ru: "Исправьте отмеченные поля." }
    SlotTaken { en: "Sorry, this time has just been taken. These times are free:", ru: "Извините, это время только что заняли. Свободно:" }
    Booked { en: "Thank you! Your booking is received.", ru: "Спасибо! Бронирование принято." }
    BookedNext {
        en: "The studio will confirm it shortly. Keep this page's address: it is your private link to view or cancel the booking.",
        ru: "Студия скоро его подтвердит. Сохраните адрес этой страницы: это ваша личная ссылка для просмотра и отмены бронирования.",
    }
    Reference { en: "Booking reference", ru: "Номер бронирования" }
    Space { en: "Space", ru: "Зал" }
    When { en: "When", ru: "Когда" }
    Status { en: "Status", ru: "Статус" }
    StatePending { en: "Awaiting confirmation", ru: "Ожидает подтверждения" }
    StateConfirmed { en: "Confirmed", ru: "Подтверждено" }
    StateInProgress { en: "In progress", ru: "Идёт съёмка" }
    StateCompleted { en: "Completed", ru: "Завершено" }
    StateCancelled { en: "Cancelled", ru: "Отменено" }
    StateNoShow { en: "No-show", ru: "Неявка" }
    CancelBooking { en: "Cancel booking", ru: "Отменить бронирование" }
    CancelConfirm { en: "Cancel this booking? The time will be released to other guests.", ru: "Отменить бронирование? Время станет доступно другим гостям." }
    CancelYes { en: "Yes, cancel it", ru: "Да, отменить" }
    CancelNo { en: "Keep the booking", ru: "Оставить" }
    CancelledNotice { en: "The booking is cancelled.", ru: "Бронирование отменено." }
    CancelUntil { en: "Free cancellation online until", ru: "Бесплатная отмена онлайн до" }
    CancelTooLate { en: "Online cancellation is closed; please call the studio.", ru: "Отмена онлайн уже недоступна — позвоните в студию." }
    BookingNotFound { en: "This link does not lead to a booking.", ru: "По этой ссылке бронирование не найдено." }
    ThrottledTitle { en: "Too many attempts", ru: "Слишком много попыток" }
    ErrInvalidPhone { en: "Enter a phone number, e.g. +7 916 123-45-67.", ru: "Введите номер телефона, например +7 916 123-45-67." }
    ErrName { en: "Enter your name.", ru: "Укажите имя." }
    ErrEmail { en: "Enter an e-mail like name@example.com or leave it empty.", ru: "Введите e-mail вида name@example.com или оставьте поле пустым." }
    ErrConsent { en: "We need your consent to process the booking.", ru: "Без согласия мы не можем оформить бронирование." }
    ErrCapacity { en: "Too many people for this space.", ru: "Слишком много человек для этого зала." }
    ErrTooFew { en: "At least one person.", ru: "Минимум один человек." }
    ErrTime { en: "This time cannot be booked; choose another.", ru: "Это время нельзя забронировать — выберите другое." }
    ErrPromo { en: "This promo code is not valid.", ru: "Промокод недействителен." }
    ErrDuration { en: "Choose a duration the studio allows.", ru: "Выберите допустимую длительность." }
    SignInTitle { en: "Sign in to the studio", ru: "Вход для сотрудников" }
    Username { en: "Username", ru: "Имя пользователя" }
    Password { en: "Password", ru: "Пароль" }
    MfaCode { en: "Code from the authenticator app, or a backup code", ru: "Код из приложения-аутентификатора или резервный код" }
    SignIn { en: "Sign in", ru: "Войти" }
    SignOut { en: "Sign out", ru: "Выйти" }
    SigningIn { en: "Signing in…", ru: "Входим…" }
    ErrCredentials { en: "The username or password is not correct.", ru: "Неверное имя пользователя или пароль." }
    ErrMfaRequired { en: "Enter the code from your authenticator app.", ru: "Введите код из приложения-аутентификатора." }
    ErrMfaInvalid { en: "The code is not valid or was already used.", ru: "Код неверен или уже использован." }
    ErrLocked { en: "Too many failed attempts: the account is locked for a while.", ru: "Слишком много неудачных попыток: учётная запись временно заблокирована." }
    StaffProfile { en: "Profile", ru: "Профиль" }
    ChangePassword { en: "Change password", ru: "Сменить пароль" }
    CurrentPassword { en: "Current password", ru: "Текущий пароль" }
    NewPassword { en: "New password (at least 12 characters)", ru: "Новый пароль (не короче 12 символов)" }
    PasswordChanged { en: "The password is changed; your other sessions have ended.", ru: "Пароль изменён; остальные сеансы завершены." }
    MustChangePassword { en: "You signed in with a temporary password: choose your own to continue.", ru: "Вы вошли с временным паролем: задайте свой, чтобы продолжить." }
    MfaTitle { en: "Two-factor sign-in", ru: "Двухфакторный вход" }
    MfaOn { en: "Two-factor sign-in is on.", ru: "Двухфакторный вход включён." }
    MfaOff { en: "Protect your account with a code from an authenticator app.", ru: "Защитите учётную запись кодом из приложения-аутентификатора." }
    MfaStart { en: "Set up two-factor sign-in", ru: "Настроить двухфакторный вход" }
    MfaScan { en: "Scan the QR code with your authenticator app, or enter the key by hand, then type the code it shows.", ru: "Отсканируйте QR-код приложением-аутентификатором или введите ключ вручную, затем введите показанный код." }
    MfaConfirm { en: "Turn on", ru: "Включить" }
    BackupCodesTitle { en: "Backup codes — shown only now", ru: "Резервные коды — показываются только сейчас" }
    BackupCodesHint { en: "Each code signs you in once if you lose your phone. Keep them somewhere safe.", ru: "Каждый код позволяет войти один раз, если телефон потерян. Сохраните их в надёжном месте." }
    Sessions { en: "Signed-in devices", ru: "Активные сеансы" }
    ThisDevice { en: "this device", ru: "это устройство" }
    EndSession { en: "End", ru: "Завершить" }
    Save { en: "Save", ru: "Сохранить" }
    AuditAction { en: "Action", ru: "Действие" }
    AuditWhen { en: "When", ru: "Когда" }
    AuditWho { en: "Who", ru: "Кто" }
    AuditFrom { en: "From", ru: "Откуда" }
    AuditAll { en: "All actions", ru: "Все действия" }
    AuditFilter { en: "Filter", ru: "Показать" }
    AuditExport { en: "Export CSV", ru: "Выгрузить CSV" }
    AuditEmpty { en: "No entries match.", ru: "Записей не найдено." }
    NotAllowed { en: "You do not have access to this page.", ru: "У вас нет доступа к этой странице." }
    EmpName { en: "Name", ru: "Имя" }
    EmpRole { en: "Role", ru: "Роль" }
    EmpStatus { en: "Status", ru: "Статус" }
    EmpLastLogin { en: "Last sign-in", ru: "Последний вход" }
    EmpActive { en: "active", ru: "активен" }
    EmpDisabled { en: "disabled", ru: "отключён" }
    EmpNever { en: "never", ru: "не входил" }
    EmpAdd { en: "Add an employee", ru: "Добавить сотрудника" }
    EmpEmail { en: "E-mail", ru: "Электронная почта" }
    EmpCreate { en: "Create", ru: "Создать" }
    EmpTemporary { en: "One-time password — hand it over now, it is not shown again:", ru: "Одноразовый пароль — передайте его сейчас, больше он не будет показан:" }
    EmpDisable { en: "Disable", ru: "Отключить" }
    EmpEnable { en: "Enable", ru: "Включить" }
    EmpReset { en: "Reset password", ru: "Сбросить пароль" }
    EmpEndSessions { en: "End sessions", ru: "Завершить сеансы" }
    EmpConfirm { en: "Are you sure?", ru: "Вы уверены?" }
    Yes { en: "Yes", ru: "Да" }
    No { en: "No", ru: "Нет" }
    MustEnrolMfa { en: "The studio requires two-factor sign-in: set it up in your profile to continue.", ru: "В студии обязателен двухфакторный вход: настройте его в профиле, чтобы продолжить." }
    RequireMfaOn { en: "Two-factor sign-in is required for all staff.", ru: "Двухфакторный вход обязателен для всех сотрудников." }
    RequireMfaOff { en: "Two-factor sign-in is optional.", ru: "Двухфакторный вход необязателен." }
    RequireMfa { en: "Require for all staff", ru: "Сделать обязательным" }
    StopRequiringMfa { en: "Make it optional", ru: "Сделать необязательным" }
    RoleOwner { en: "owner", ru: "владелец" }
    RoleAdmin { en: "admin", ru: "администратор" }
    RoleManager { en: "manager", ru: "менеджер" }
    ColumnNew { en: "New", ru: "Новые" }
    FilterFrom { en: "From", ru: "С" }
    FilterTo { en: "To", ru: "По" }
    AllSpaces { en: "All spaces", ru: "Все залы" }
    AllStates { en: "All states", ru: "Все статусы" }
    SearchLabel { en: "Search", ru: "Поиск" }
    SearchHint { en: "Name, phone or reference", ru: "Имя, телефон или номер брони" }
    ApplyFilters { en: "Apply", ru: "Применить" }
    ResetFilters { en: "Reset", ru: "Сбросить" }
    ShowMore { en: "Show more", ru: "Показать ещё" }
    MoveTo { en: "Move to…", ru: "Перевести в…" }
    MoveHint {
        en: "Drag a card to another column, or focus it and press → to move it forward or M for all moves (the right mouse button too).",
        ru: "Перетащите карточку в другую колонку или выберите её и нажмите → (дальше по процессу) или M (все переходы; или правой кнопкой мыши).",
    }
    NoMoveFromHere { en: "This booking cannot be moved from here.", ru: "Эту бронь отсюда перевести нельзя." }
    LiveOn { en: "Live", ru: "Онлайн" }
    LiveOff { en: "Reconnecting…", ru: "Переподключение…" }
    PaymentUnpaid { en: "Unpaid", ru: "Не оплачено" }
    PaymentPartial { en: "Partly paid", ru: "Частично оплачено" }
    PaymentPaid { en: "Paid", ru: "Оплачено" }
    PaymentRefunded { en: "Refunded", ru: "Возврат" }
    SourceWebsite { en: "Website", ru: "Сайт" }
    SourcePhone { en: "Phone call", ru: "Звонок" }
    SourceWalkIn { en: "Walk-in", ru: "Без записи" }
    SourceStaff { en: "Staff", ru: "Сотрудник" }
    ReopenTitle { en: "Reopen this booking", ru: "Вернуть бронь в работу" }
    ReopenReason { en: "Why is it reopened?", ru: "Почему бронь возвращается?" }
    ConfirmMove { en: "Move", ru: "Перевести" }
    Dismiss { en: "Close", ru: "Закрыть" }
    Legend { en: "Legend", ru: "Обозначения" }
    LegendBlocked { en: "Time closed", ru: "Время закрыто" }
    VerbBackToNew { en: "Back to new", ru: "Вернуть в новые" }
    VerbConfirm { en: "Confirm", ru: "Подтвердить" }
    VerbStart { en: "Start the session", ru: "Начать съёмку" }
    VerbComplete { en: "Complete", ru: "Завершить" }
    VerbCancel { en: "Cancel the booking", ru: "Отменить бронь" }
    VerbNoShow { en: "Mark as no-show", ru: "Отметить неявку" }
    DeleteHint {
        en: "Deleting removes the booking from the board and reports; it cannot be undone. Cancel it instead if the client will not come.",
        ru: "Удалённая бронь пропадёт с доски и из отчётов, вернуть её нельзя. Если клиент не придёт, лучше отмените бронь.",
    }
    NotNow { en: "Not now", ru: "Не сейчас" }
    Today { en: "Today", ru: "Сегодня" }
    Monday { en: "Monday", ru: "Понедельник" }
    Tuesday { en: "Tuesday", ru: "Вторник" }
    Wednesday { en: "Wednesday", ru: "Среда" }
    Thursday { en: "Thursday", ru: "Четверг" }
    Friday { en: "Friday", ru: "Пятница" }
    Saturday { en: "Saturday", ru: "Суббота" }
    Sunday { en: "Sunday", ru: "Воскресенье" }
    StudioRules { en: "Booking rules", ru: "Правила бронирования" }
    StudioName { en: "Name", ru: "Название" }
    TimeZone { en: "Time zone", ru: "Часовой пояс" }
    BufferMinutes { en: "Buffer after a booking, minutes", ru: "Перерыв после брони, минут" }
    LeadMinutes { en: "Book at least this many minutes ahead", ru: "Бронировать не позже чем за, минут" }
    MinHours { en: "Shortest booking, hours", ru: "Минимальная бронь, часов" }
    MaxHours { en: "Longest booking, hours", ru: "Максимальная бронь, часов" }
    HorizonDays { en: "Open for booking, days ahead", ru: "Бронирование открыто, дней вперёд" }
    CancellationHours { en: "Guests cancel online until, hours before", ru: "Отмена онлайн не позже чем за, часов" }
    OpeningHours { en: "Opening hours", ru: "Часы работы" }
    HoursHint { en: "Like 09:00-21:00; leave empty for a closed day.", ru: "Например, 09:00-21:00; пусто — выходной." }
    Holidays { en: "Holidays (one per line: date and reason)", ru: "Праздники (по строке: дата и причина)" }
    SaveAnyway { en: "Save anyway", ru: "Всё равно сохранить" }
    Slug { en: "Link name", ru: "Имя в ссылке" }
    Capacity { en: "Capacity", ru: "Вместимость" }
    PricePerHour { en: "Price per hour, ₽", ru: "Цена за час, ₽" }
    IncludedPeople { en: "People included", ru: "Гостей включено" }
    ExtraPersonPrice { en: "Extra person, ₽", ru: "Доп. гость, ₽" }
    SortOrder { en: "Order", ru: "Порядок" }
    UnitPrice { en: "Price, ₽", ru: "Цена, ₽" }
    Stock { en: "In stock", ru: "В наличии" }
    PerHourShort { en: "Per hour", ru: "Почасово" }
    AddNew { en: "Add", ru: "Добавить" }
    PercentOff { en: "Discount, %", ru: "Скидка, %" }
    PromoCodes { en: "Promo codes", ru: "Промокоды" }
    MaxUses { en: "Uses at most", ru: "Не больше использований" }
    ValidUntil { en: "Valid until", ru: "Действует до" }
    CalendarFeeds { en: "Calendar feeds", ru: "Календарные ленты" }
    CalendarFeedsHint {
        en: "Subscribe from a phone's calendar app. Anyone with a link sees the bookings: rotate the links if one leaks.",
        ru: "Подпишитесь в календаре телефона. Кто знает ссылку, видит брони: замените ссылки, если одна утекла.",
    }
    RotateFeed { en: "Replace the links", ru: "Заменить ссылки" }
    Notifications { en: "Notifications", ru: "Уведомления" }
    TelegramChat { en: "Telegram chat of the staff", ru: "Telegram-чат сотрудников" }
    GuestEmail { en: "E-mail to guests", ru: "Письма гостям" }
    Configured { en: "Configured", ru: "Настроено" }
    NotConfigured { en: "Not configured", ru: "Не настроено" }
    LastDelivery { en: "Last delivery", ru: "Последняя отправка" }
    NeverSent { en: "nothing sent yet", ru: "ещё ничего не отправлено" }
    SendTestMessage { en: "Send a test message", ru: "Отправить тестовое сообщение" }
    TestMessageQueued { en: "Test message queued", ru: "Тестовое сообщение поставлено в очередь" }
    ReminderHours { en: "Remind guests, hours before (0 = never)", ru: "Напоминать гостям за, часов (0 — нет)" }
    UnpaidCancelHours { en: "Cancel unpaid bookings after, hours (empty = never)", ru: "Отменять неоплаченные через, часов (пусто — нет)" }
    TelegramEvents { en: "Tell the chat about", ru: "Сообщать в чат о" }
    TgBookingCreated { en: "new bookings from guests", ru: "новых бронях гостей" }
    TgBookingCancelled { en: "cancellations by guests or the system", ru: "отменах гостем или системой" }
    TgBookingRescheduled { en: "reschedules", ru: "переносах" }
    TgNoShow { en: "no-shows", ru: "неявках" }
    DeadDeliveries { en: "Messages that could not be delivered", ru: "Неотправленные сообщения" }
    NoDeadDeliveries { en: "Every message was delivered.", ru: "Все сообщения доставлены." }
    RetryNow { en: "Retry now", ru: "Повторить сейчас" }
    RetryQueued { en: "Queued again", ru: "Снова в очереди" }
    DurationHours { en: "Hours", ru: "Часов" }
    Week { en: "Week", ru: "Неделя" }
    Day { en: "Day", ru: "День" }
    BlockTime { en: "Block time", ru: "Закрыть время" }
    BlockReason { en: "Why", ru: "Причина" }
    WholeStudio { en: "Whole studio", ru: "Вся студия" }
    RemoveBlock { en: "Remove this block", ru: "Снять блокировку" }
    EditBlock { en: "Change this block", ru: "Изменить блокировку" }
    DaySheet { en: "Day sheet", ru: "Лист дня" }
    Closed { en: "closed", ru: "выходной" }
    NewBooking { en: "New booking", ru: "Новая бронь" }
    PrintSheet { en: "Print", ru: "Печать" }
    NoBookingsToday { en: "No bookings this day.", ru: "В этот день бронирований нет." }
    ClientNotesTitle { en: "Notes about the client", ru: "Заметки о клиенте" }
    ColVisits { en: "Visits", ru: "Визиты" }
    ColNoShows { en: "No-shows", ru: "Неявки" }
    ColCancellations { en: "Cancellations", ru: "Отмены" }
    ColSpent { en: "Spent", ru: "Потрачено" }
    ColLastVisit { en: "Last visit", ru: "Последний визит" }
    ClientsFound { en: "Clients:", ru: "Клиентов:" }
    ColBookings { en: "Bookings", ru: "Брони" }
    ColEquipment { en: "Equipment", ru: "Оборудование" }
    ErrInvalidTransition { en: "This move is not allowed", ru: "Такой переход невозможен" }
    ErrReopenRole {
        en: "Only owners and admins can reopen a finished booking.",
        ru: "Вернуть завершённую бронь может только владелец или администратор.",
    }
    ErrVersionConflict {
        en: "A colleague changed this booking a moment ago; you see the latest now.",
        ru: "Коллега только что изменил эту бронь; показано актуальное состояние.",
    }
    ErrForbidden { en: "You are not allowed to do this.", ru: "Недостаточно прав." }
    ErrSlotBusy {
        en: "This time is taken: another booking or blocked time is there.",
        ru: "Это время занято: там другая бронь или заблокированное время.",
    }
    ErrEquipmentUnavailable {
        en: "Not enough of the booked equipment is free at this time.",
        ru: "Заказанного оборудования на это время не хватает.",
    }
    MovedTo { en: "Moved to", ru: "Переведено в" }
    NoCards { en: "No bookings", ru: "Нет бронирований" }
    ColPeople { en: "People", ru: "Гостей" }
    ColClient { en: "Client", ru: "Клиент" }
    ColPayment { en: "Payment", ru: "Оплата" }
    ColSource { en: "Source", ru: "Источник" }
    PrevPage { en: "Previous", ru: "Назад" }
    NextPage { en: "Next", ru: "Вперёд" }
    PageOf { en: "Page", ru: "Страница" }
    BookingsFound { en: "Bookings found:", ru: "Найдено бронирований:" }
    EditBooking { en: "Edit booking", ru: "Изменить бронь" }
    LabelClientName { en: "Client name", ru: "Имя клиента" }
    LabelEmail { en: "E-mail", ru: "Эл. почта" }
    LabelStart { en: "Start", ru: "Начало" }
    LabelEnd { en: "End", ru: "Конец" }
    LabelNotes { en: "Notes for the client", ru: "Заметки для клиента" }
    LabelInternalNotes { en: "Internal notes (staff only)", ru: "Внутренние заметки (только для сотрудников)" }
    Saved { en: "Saved", ru: "Сохранено" }
    HistoryTitle { en: "State history", ru: "История статусов" }
    AuditTrail { en: "Audit trail", ru: "Журнал изменений" }
    DeleteBooking { en: "Delete booking", ru: "Удалить бронь" }
    DeleteConfirm {
        en: "Delete this booking? It leaves the board and its time becomes free.",
        ru: "Удалить бронь? Она исчезнет с доски, а время освободится.",
    }
    BookingDeleted { en: "Booking deleted", ru: "Бронь удалена" }
    ChangedElsewhere {
        en: "A colleague just changed this booking; showing the latest.",
        ru: "Коллега только что изменил эту бронь; показано актуальное.",
    }
    BackToBoard { en: "Back to the board", ru: "К доске" }
    BackToList { en: "All bookings", ru: "Все бронирования" }
    CreatedAt { en: "Created", ru: "Создана" }
    MoveButtons { en: "Change state", ru: "Сменить статус" }
    ByGuest { en: "guest", ru: "гость" }
    OpenBooking { en: "Open", ru: "Открыть" }
    AnVsPrevious { en: "vs previous", ru: "к прошлому периоду" }
    AnVsYear { en: "vs a year ago", ru: "к прошлому году" }
    AnBookings { en: "Bookings", ru: "Бронирования" }
    AnCancelled { en: "Cancelled", ru: "Отмены" }
    AnRevenue { en: "Revenue", ru: "Выручка" }
    AnBookedValue { en: "Booked value", ru: "Сумма броней" }
    AnAverageDuration { en: "Average duration", ru: "Средняя длительность" }
    AnAverageLead { en: "Booked ahead", ru: "Бронируют заранее" }
    AnHoursShort { en: "h", ru: "ч" }
    AnBookingsChart { en: "Bookings by day", ru: "Бронирования по дням" }
    AnRevenueChart { en: "Revenue by day", ru: "Выручка по дням" }
    AnUpcoming { en: "Upcoming or in progress", ru: "Предстоят или идут" }
    AnAsTable { en: "Show as a table", ru: "Показать таблицей" }
    AnDate { en: "Date", ru: "Дата" }
    AnOccupancy { en: "Occupancy", ru: "Загрузка" }
    AnBookedHours { en: "Booked hours", ru: "Занято часов" }
    AnOpenHours { en: "Open hours", ru: "Рабочих часов" }
    AnHeatMap { en: "Demand by weekday and hour", ru: "Спрос по дням недели и часам" }
    AnHeatMapHint { en: "Darker cells: more booked time at that hour.", ru: "Чем темнее клетка, тем больше занятого времени в этот час." }
    AnByGuest { en: "By the guest", ru: "Гостем" }
    AnByStaff { en: "By staff", ru: "Сотрудником" }
    AnBySystem { en: "Automatically (unpaid)", ru: "Автоматически (без оплаты)" }
    AnNone { en: "None in this period.", ru: "В этом периоде нет." }
    AnTopClients { en: "Top clients", ru: "Лучшие клиенты" }
    AnBySource { en: "Where bookings come from", ru: "Откуда приходят брони" }
    AnCancellations { en: "Who cancels", ru: "Кто отменяет" }
    AnPromoCodes { en: "Promo codes", ru: "Промокоды" }
    AnDay { en: "Day", ru: "День" }
    AnWeek { en: "Week", ru: "Неделя" }
    AnMonth { en: "Month", ru: "Месяц" }
    AnQuarter { en: "Quarter", ru: "Квартал" }
    AnYear { en: "Year", ru: "Год" }
    AnCustom { en: "Custom dates", ru: "Свои даты" }
    AnPeriod { en: "Period", ru: "Период" }
    AnAnyDayIn { en: "A day in the period", ru: "День внутри периода" }
    AnFrom { en: "From (custom)", ru: "С (свои даты)" }
    AnTo { en: "To (custom)", ru: "По (свои даты)" }
    AnPrevious { en: "Earlier", ru: "Раньше" }
    AnNext { en: "Later", ru: "Позже" }
    AnExportCsv { en: "CSV", ru: "Выгрузить CSV" }
    AnExportXlsx { en: "Excel", ru: "Выгрузить Excel" }
    AnEmpty { en: "No bookings in this period yet: the figures are zero.", ru: "В этом периоде бронирований нет — все показатели нулевые." }
    AnDefinitionsTitle { en: "How the figures are counted", ru: "Как считаются показатели" }
    AnDefinitions {
        en: "A booking counts on the studio day it starts; deleted bookings never count. Revenue: total of completed bookings. Booked value: total of bookings that hold or held their time (all but cancelled; a no-show held it). Cancellation rate: cancelled / all bookings; no-show rate: no-shows / bookings that held their time. Average duration: over bookings that held their time; booked ahead: start minus the moment of booking. Occupancy: booked hours / opening hours, closed dates and blocked periods left out.",
        ru: "Бронь относится к дню студии, в который начинается; удалённые брони не учитываются. Выручка — сумма завершённых броней. Сумма броней — брони, которые занимают или занимали время (все, кроме отменённых; неявка время занимала). Доля отмен — отменённые / все брони; доля неявок — неявки / брони, занимавшие время. Средняя длительность — по броням, занимавшим время; «бронируют заранее» — начало минус момент бронирования. Загрузка — занятые часы / часы работы без выходных дат и блокировок.",
    }
    FooterPrivacy {
        en: "We process personal data under Russian law 152-FZ and the GDPR.",
        ru: "Мы обрабатываем персональные данные в соответствии с 152-ФЗ и GDPR.",
    }

    // The audit log and booking history in words (ui::audit_words).
    AwTarget { en: "Concerning", ru: "Объект" }
    AwLabelCreated { en: "Booking created", ru: "Бронь создана" }
    AwLabelStateChanged { en: "Booking state changed", ru: "Статус брони изменён" }
    AwLabelUpdated { en: "Booking edited", ru: "Бронь изменена" }
    AwLabelRescheduled { en: "Booking moved", ru: "Бронь перенесена" }
    AwLabelEmployeeCreated { en: "Employee added", ru: "Сотрудник добавлен" }
    AwBookingRef { en: "Booking {ref}", ru: "Бронь {ref}" }
    AwBookingCreated { en: "Booking created: {when}, {space}, source: {source}", ru: "Бронь создана: {when}, {space}, источник: {source}" }
    AwStateChanged { en: "Moved from “{from}” to “{to}”", ru: "Бронь переведена из «{from}» в «{to}»" }
    AwCreatedAs { en: "Booking made as “{to}”", ru: "Бронь создана со статусом «{to}»" }
    AwStateSet { en: "Booking is now “{to}”", ru: "Бронь переведена в «{to}»" }
    AwReason { en: "reason: {reason}", ru: "причина: {reason}" }
    AwReasonGuest { en: "cancelled by the guest", ru: "отменено гостем" }
    AwReasonUnpaid { en: "cancelled automatically: unpaid {hours} h after booking", ru: "отменено автоматически: не оплачено за {hours} ч после бронирования" }
    AwTimeChanged { en: "Time changed from {from} to {to}", ru: "Время изменилось с {from} на {to}" }
    AwSpaceChanged { en: "Space changed from “{from}” to “{to}”", ru: "Зал изменился с «{from}» на «{to}»" }
    AwPeopleChanged { en: "Number of guests changed from {from} to {to}", ru: "Число гостей изменилось с {from} на {to}" }
    AwPaymentChanged { en: "Payment changed from “{from}” to “{to}”", ru: "Оплата изменилась с «{from}» на «{to}»" }
    AwPriceChanged { en: "Price changed from {from} to {to}", ru: "Цена изменилась с {from} на {to}" }
    AwFieldsChanged { en: "Changed: {fields}", ru: "Изменено: {fields}" }
    AwNoChange { en: "Saved without changes", ru: "Сохранено без изменений" }
    AwFieldName { en: "client's name", ru: "имя клиента" }
    AwFieldPhone { en: "phone", ru: "телефон" }
    AwFieldEmail { en: "e-mail", ru: "электронная почта" }
    AwFieldRequirements { en: "requirements", ru: "пожелания" }
    AwFieldNotes { en: "notes", ru: "заметки" }
    AwFieldInternal { en: "internal notes", ru: "внутренние заметки" }
    AwBookingDeleted { en: "Booking deleted", ru: "Бронь удалена" }
    AwLoginSucceeded { en: "Signed in", ru: "Вход в систему" }
    AwLoginFailed { en: "Failed sign-in", ru: "Неудачная попытка входа" }
    AwWhyUnknownUser { en: "unknown username", ru: "неизвестное имя пользователя" }
    AwWhyLocked { en: "account locked", ru: "учётная запись заблокирована" }
    AwWhyWrongPassword { en: "wrong password", ru: "неверный пароль" }
    AwWhyDisabled { en: "access turned off", ru: "доступ отключён" }
    AwWhyTemporaryExpired { en: "temporary password expired", ru: "временный пароль истёк" }
    AwWhyWrongCode { en: "wrong one-time code", ru: "неверный одноразовый код" }
    AwAccountLocked { en: "Account locked after failed attempts", ru: "Учётная запись заблокирована после неудачных попыток" }
    AwLogout { en: "Signed out", ru: "Выход из системы" }
    AwTokenReused { en: "A used sign-in token came back: all sessions ended", ru: "Повторно предъявлен использованный токен входа: все сеансы завершены" }
    AwSessionsRevoked { en: "Sessions ended", ru: "Сеансы завершены" }
    AwPasswordChanged { en: "Password changed", ru: "Пароль изменён" }
    AwPasswordReset { en: "Password reset", ru: "Пароль сброшен" }
    AwCredentialCheckFailed { en: "Wrong password when confirming an action", ru: "Неверный пароль при подтверждении действия" }
    AwMfaEnabled { en: "Two-step sign-in turned on", ru: "Двухэтапный вход включён" }
    AwMfaDisabled { en: "Two-step sign-in turned off", ru: "Двухэтапный вход отключён" }
    AwEmployeeCreated { en: "Employee added as {role}", ru: "Добавлен сотрудник, роль: {role}" }
    AwRoleChanged { en: "Role changed from “{from}” to “{to}”", ru: "Роль изменилась с «{from}» на «{to}»" }
    AwAccessOff { en: "Access turned off", ru: "Доступ отключён" }
    AwAccessOn { en: "Access turned on", ru: "Доступ включён" }
    AwEmployeeUpdated { en: "Employee details changed", ru: "Данные сотрудника изменены" }
    AwPermissionDenied { en: "Access refused", ru: "Отказано в доступе" }
    AwBlockCreated { en: "Time blocked", ru: "Время закрыто" }
    AwBlockUpdated { en: "Blocked time changed", ru: "Закрытое время изменено" }
    AwBlockDeleted { en: "Blocked time opened again", ru: "Закрытое время открыто" }
    AwClientNotes { en: "Notes about the client changed", ru: "Заметки о клиенте изменены" }
    AwFeedRotated { en: "Calendar links replaced", ru: "Ссылки на календарь заменены" }
    AwRetention { en: "Personal data past its retention period removed", ru: "Персональные данные с истёкшим сроком хранения удалены" }
    AwClientExported { en: "Client's personal data exported", ru: "Персональные данные клиента выгружены" }
    AwClientErased { en: "Client's personal data erased", ru: "Персональные данные клиента удалены" }
    AwRequestMade { en: "Personal-data request received", ru: "Получен запрос о персональных данных" }
    AwRequestClosed { en: "Personal-data request answered", ru: "Запрос о персональных данных закрыт" }
    AwSettingsChanged { en: "Studio settings changed", ru: "Настройки студии изменены" }
    AwContactsChanged { en: "Studio contacts changed", ru: "Контакты студии изменены" }
    AwSpaceCreated { en: "Space added", ru: "Зал добавлен" }
    AwSpaceUpdated { en: "Space changed", ru: "Зал изменён" }
    AwEquipmentCreated { en: "Equipment added", ru: "Оборудование добавлено" }
    AwEquipmentUpdated { en: "Equipment changed", ru: "Оборудование изменено" }
    AwPromoCreated { en: "Promo code added", ru: "Промокод добавлен" }
    AwPromoUpdated { en: "Promo code changed", ru: "Промокод изменён" }
    AwWebhookCreated { en: "Webhook added", ru: "Вебхук добавлен" }
    AwWebhookUpdated { en: "Webhook changed", ru: "Вебхук изменён" }
    AwWebhookDeleted { en: "Webhook removed", ru: "Вебхук удалён" }
    AwNotificationSettings { en: "Notification settings changed", ru: "Настройки уведомлений изменены" }
    AwTelegramTest { en: "Test message sent to Telegram", ru: "Тестовое сообщение отправлено в Telegram" }
    AwDeliveryRetried { en: "Undelivered message sent again", ru: "Недоставленное сообщение отправлено повторно" }
    AwAnalyticsExported { en: "Analytics exported", ru: "Аналитика выгружена" }
    AwBackupRestored { en: "Data restored from a backup", ru: "Данные восстановлены из резервной копии" }
    AwOtherAction { en: "Other action", ru: "Другое действие" }
    AwTargetSettings { en: "Studio settings", ru: "Настройки студии" }
    AwTargetSecurity { en: "Security settings", ru: "Настройки безопасности" }
    AwTargetClient { en: "A client", ru: "Клиент" }
    AwTargetSpace { en: "Space", ru: "Зал" }
    AwTargetEquipment { en: "Equipment", ru: "Оборудование" }
    AwTargetPromo { en: "Promo code {code}", ru: "Промокод {code}" }
    AwTargetWebhook { en: "Webhook", ru: "Вебхук" }
    AwTargetBlock { en: "Blocked time", ru: "Закрытое время" }
    AwTargetRequest { en: "Personal-data request", ru: "Запрос о персональных данных" }
    AwTargetMessage { en: "Message", ru: "Сообщение" }
    AwTargetAnalytics { en: "Analytics", ru: "Аналитика" }
    AwTargetAudit { en: "Audit log", ru: "Журнал аудита" }
    AwFormerEmployee { en: "former employee", ru: "бывший сотрудник" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locale_cookie_wins_over_the_browser_language() {
        assert_eq!(
            Locale::negotiate(Some("en"), Some("ru-RU,ru;q=0.9")),
            Locale::En
        );
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(
            Locale::negotiate(None, Some("de-DE,en;q=0.8,ru;q=0.5")),
            Locale::En
        );
        assert_eq!(
            Locale::negotiate(None, Some("en;q=0.3, ru-RU;q=0.7")),
            Locale::Ru
        );
    }

    #[test]
    fn an_unknown_language_falls_back_to_russian() {
        assert_eq!(
            Locale::negotiate(Some("fr"), Some("de, fr;q=0.5")),
            Locale::Ru
        );
        assert_eq!(Locale::negotiate(None, None), Locale::Ru);
    }

    #[test]
    fn money_is_formatted_per_locale() {
        assert_eq!(
            Locale::Ru.money(Money::from_major(1500)),
            "1\u{202f}500\u{a0}₽"
        );
        assert_eq!(Locale::En.money(Money::from_major(1500)), "₽1,500");
        assert_eq!(
            Locale::Ru.money(Money::from_minor(123_456_789)),
            "1\u{202f}234\u{202f}567,89\u{a0}₽"
        );
        assert_eq!(Locale::En.money(Money::from_minor(-50)), "−₽0.50");
    }

    #[test]
    fn russian_plurals_follow_the_one_few_many_rule() {
        let forms: Vec<String> = [1, 2, 5, 11, 12, 21, 22, 25, 111, 104]
            .iter()
            .map(|n| Locale::Ru.count(*n, Noun::Hour))
            .collect();
        assert_eq!(
            forms,
            [
                "1 час",
                "2 часа",
                "5 часов",
                "11 часов",
                "12 часов",
                "21 час",
                "22 часа",
                "25 часов",
                "111 часов",
                "104 часа"
            ]
        );
    }

    #[test]
    fn english_plurals_have_one_and_other() {
        assert_eq!(Locale::En.count(1, Noun::Person), "1 person");
        assert_eq!(Locale::En.count(0, Noun::Person), "0 people");
        assert_eq!(Locale::En.count(4, Noun::Person), "4 people");
    }

    #[test]
    fn dates_use_the_language_month_names() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
        assert_eq!(Locale::Ru.date(d), "21 ноября 2026");
        assert_eq!(Locale::En.date(d), "21 November 2026");
        assert_eq!(Locale::Ru.short_date(d), "сб, 21 нояб.");
        assert_eq!(Locale::En.short_date(d), "Sat, 21 Nov");
    }

    #[test]
    fn every_message_is_translated_and_not_left_in_english() {
        for msg in Msg::ALL {
            assert!(
                !msg.text(Locale::En).is_empty(),
                "{msg:?} has no English text"
            );
            assert!(
                !msg.text(Locale::Ru).is_empty(),
                "{msg:?} has no Russian text"
            );
            assert_ne!(
                msg.text(Locale::En),
                msg.text(Locale::Ru),
                "{msg:?} is not translated"
            );
        }
    }
}
