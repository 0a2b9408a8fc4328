//! The operator screens' words in Ukrainian and English, the operator's choice (`?lang=uk`,
//! `?lang=en`, kept in the session). Every string shown is a [`Text`], so a missing translation
//! cannot compile.

/// A language of the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Українська (the default: the front office works in Ukrainian).
    #[default]
    Uk,
    /// English.
    En,
}

/// Every string of the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs, reason = "each variant is its own English text")]
pub enum Text {
    SignIn,
    Login,
    Password,
    WrongLogin,
    Logout,
    Start,
    Journal,
    NewFromFile,
    ApplicantFile,
    Check,
    StartEnrolment,
    Queue,
    Interrupted,
    Abandon,
    Reason,
    NoneYet,
    Application,
    State,
    Step,
    Operator,
    MrzPreview,
    FieldErrors,
    Field,
    Problem,
    Progress,
    Done,
    NoBiometricsHere,
    SupervisorOnly,
    SessionExpired,
    BadForm,
    ChipData,
    DocumentProfile,
    DocumentNumber,
    Validity,
    NationalName,
    DateOfBirth,
    PlaceOfBirth,
    Address,
    IssuingAuthority,
    Fingerprints,
    ConsentConfirm,
    ConsentMissing,
    NoConsent,
    NotOnChip,
    Resume,
    Running,
    SignOnScreen,
    SignatureTitle,
    SignatureHint,
    SignatureClear,
    SignatureSubmit,
    SignatureEmpty,
    SignatureTooLittle,
    SignatureUnreadable,
    SignatureNotWaiting,
    QueuedForBureau,
    NotResumable,
    // The fingers screen and its exceptions.
    FingersTitle,
    Finger,
    Quality,
    Attempts,
    SkippedWhy,
    FingerWaiting,
    FingerPresentNow,
    FingerCaptured,
    FingerSubstituted,
    FingerNotFilled,
    DeclaredMissing,
    QualityTooLow,
    NotCaptured,
    Threshold,
    ExceptionsTitle,
    ExceptionsHint,
    ExceptionPresent,
    ExceptionNote,
    ExceptionOtherWords,
    CauseAmputated,
    CauseInjured,
    CauseUnable,
    CauseOther,
    ApprovalTitle,
    ApprovalHint,
    DeclaredBy,
    ApprovedBy,
    AwaitingApproval,
    Approve,
    ApproveAs,
    SupervisorLogin,
    SupervisorPassword,
    ApproveSupervisorOnly,
    ApproveOwn,
    ApproveTick,
    ExceptionsApproved,
    ApprovalBySupervisor,
    PhotoTitle,
    PhotoLiveAlt,
    PhotoLegend,
    PhotoGuidance,
    PhotoHold,
    PhotoWaiting,
    PhotoStreak,
    PhotoCrop,
    PhotoKeptUntilNext,
    PhotoReviewTitle,
    PhotoReviewHint,
    PhotoKeep,
    PhotoRetake,
    PhotoNotReviewing,
    // The card screen.
    CardTitle,
    CardPresent,
    CardReadBack,
    CardStopped,
    CardPutBack,
}

impl Lang {
    /// `uk` or `en` as a query or cookie value.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "uk" => Some(Lang::Uk),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Uk => "uk",
            Lang::En => "en",
        }
    }

    /// `text` in this language.
    pub fn t(self, text: Text) -> &'static str {
        let (uk, en) = match text {
            Text::SignIn => ("Вхід оператора", "Operator sign-in"),
            Text::Login => ("Логін", "Login"),
            Text::Password => ("Пароль", "Password"),
            Text::WrongLogin => ("Невірний логін або пароль", "Wrong login or password"),
            Text::Logout => ("Вийти", "Sign out"),
            Text::Start => ("Початок", "Start"),
            Text::Journal => ("Журнал", "Journal"),
            Text::NewFromFile => ("Нова заява з файлу", "New application from a file"),
            Text::ApplicantFile => ("Файл заявника (TOML)", "Applicant file (TOML)"),
            Text::Check => ("Перевірити", "Check"),
            Text::StartEnrolment => ("Почати оформлення", "Start the enrolment"),
            Text::Queue => ("Черга (з API та файлів)", "Queue (from the API and files)"),
            Text::Interrupted => ("Перервані оформлення", "Interrupted enrolments"),
            Text::Abandon => ("Скасувати", "Abandon"),
            Text::Reason => ("Причина", "Reason"),
            Text::NoneYet => ("Немає", "None"),
            Text::Application => ("Заява", "Application"),
            Text::State => ("Стан", "State"),
            Text::Step => ("Крок", "Step"),
            Text::Operator => ("Оператор", "Operator"),
            Text::MrzPreview => ("МЗЧ, як буде надруковано", "MRZ as it will be printed"),
            Text::FieldErrors => ("Помилки в даних", "Problems in the data"),
            Text::Field => ("Поле", "Field"),
            Text::Problem => ("Проблема", "Problem"),
            Text::Progress => ("Хід оформлення", "Enrolment progress"),
            Text::Done => ("Готово", "Done"),
            Text::NoBiometricsHere => (
                "Біометричні дані тут не показуються.",
                "No biometric data is shown here.",
            ),
            Text::SupervisorOnly => (
                "Лише супервізор може скасувати оформлення.",
                "Only a supervisor may abandon an enrolment.",
            ),
            Text::SessionExpired => (
                "Сеанс завершено: увійдіть знову.",
                "Session ended: sign in again.",
            ),
            Text::BadForm => (
                "Форма застаріла або підроблена (CSRF): відкрийте сторінку знову.",
                "The form is stale or forged (CSRF): open the page again.",
            ),
            Text::ChipData => (
                "Дані, що буде записано в чип",
                "Data to be written to the chip",
            ),
            Text::DocumentProfile => ("Документ", "Document"),
            Text::DocumentNumber => ("Номер документа", "Document number"),
            Text::Validity => ("Дата видачі — дійсний до", "Issued — valid until"),
            Text::NationalName => ("Ім'я (DG11)", "Full name (DG11)"),
            Text::DateOfBirth => ("Дата народження", "Date of birth"),
            Text::PlaceOfBirth => ("Місце народження", "Place of birth"),
            Text::Address => ("Адреса", "Address"),
            Text::IssuingAuthority => ("Орган видачі", "Issuing authority"),
            Text::Fingerprints => (
                "Відбитки пальців у чипі (DG3)",
                "Fingerprints on the chip (DG3)",
            ),
            Text::ConsentConfirm => (
                "Я маю письмову згоду власника, підписану ним, на запис відбитків пальців у чип",
                "I hold the holder's signed written consent to fingerprints on the chip",
            ),
            Text::ConsentMissing => (
                "Підтвердьте письмову згоду власника або виправте файл заявника.",
                "Confirm the holder's written consent, or correct the applicant file.",
            ),
            Text::NoConsent => (
                "не записуються: немає письмової згоди власника",
                "not written: no written consent from the holder",
            ),
            Text::NotOnChip => (
                "не записуються за профілем документа",
                "not written under the document profile",
            ),
            Text::Resume => ("Продовжити", "Resume"),
            Text::Running => ("виконується", "running"),
            Text::SignOnScreen => (
                "Підпис на екрані (без планшета для підпису)",
                "Signature on screen (no signature pad)",
            ),
            Text::SignatureTitle => ("Підпис заявника", "The applicant's signature"),
            Text::SignatureHint => (
                "Поверніть екран до заявника: підпис мишею, пером або пальцем у полі нижче.",
                "Turn the screen to the applicant: sign with the mouse, a pen or a finger in the box below.",
            ),
            Text::SignatureClear => ("Стерти й підписати знову", "Clear and sign again"),
            Text::SignatureSubmit => ("Прийняти підпис", "Accept the signature"),
            Text::SignatureEmpty => (
                "Поле порожнє: заявник має підписатися.",
                "The box is empty: the applicant must sign.",
            ),
            Text::SignatureTooLittle => (
                "Замало для підпису: підпишіться на всю ширину поля.",
                "Too little for a signature: sign across the box.",
            ),
            Text::SignatureUnreadable => (
                "Зображення підпису не прочитано: спробуйте ще раз.",
                "The signature image could not be read: try again.",
            ),
            Text::SignatureNotWaiting => (
                "Оформлення зараз не очікує підпису.",
                "The enrolment is not waiting for a signature now.",
            ),
            Text::QueuedForBureau => (
                "Заяву запечатано й поставлено в чергу до центрального бюро, яке виготовить картку.",
                "The application was sealed and queued for the central bureau, which makes the card.",
            ),
            Text::NotResumable => (
                "Це оформлення не можна продовжити",
                "This enrolment cannot be resumed",
            ),
            Text::FingersTitle => ("Відбитки пальців", "Fingers"),
            Text::Finger => ("Палець", "Finger"),
            Text::Quality => ("Якість", "Quality"),
            Text::Attempts => ("Спроби", "Attempts"),
            Text::SkippedWhy => ("Пропущено й чому", "Skipped, and why"),
            Text::FingerWaiting => ("очікує", "waiting"),
            Text::FingerPresentNow => ("прикладіть зараз", "present it now"),
            Text::FingerCaptured => ("знято", "captured"),
            Text::FingerSubstituted => ("замінено на", "substituted by"),
            Text::FingerNotFilled => ("немає придатного пальця", "no usable finger"),
            Text::DeclaredMissing => ("заявлено відсутнім", "declared missing"),
            Text::QualityTooLow => ("замала якість", "quality too low"),
            Text::NotCaptured => ("не знято", "not captured"),
            Text::Threshold => ("поріг", "threshold"),
            Text::ExceptionsTitle => (
                "Винятки: відсутні або непридатні пальці",
                "Exceptions: missing or unusable fingers",
            ),
            Text::ExceptionsHint => (
                "Кожен виняток затверджує супервізор, перш ніж оформлення почнеться.",
                "A supervisor approves each exception before the enrolment starts.",
            ),
            Text::ExceptionPresent => ("— є —", "— present —"),
            Text::ExceptionNote => ("Інше: опишіть", "Other: describe"),
            Text::ExceptionOtherWords => (
                "Опишіть іншу причину (до 200 символів).",
                "Describe the other cause (up to 200 characters).",
            ),
            Text::CauseAmputated => ("ампутовано", "amputated"),
            Text::CauseInjured => ("забинтовано або травмовано", "bandaged or injured"),
            Text::CauseUnable => ("не може прикласти", "unable to present"),
            Text::CauseOther => ("інше", "other"),
            Text::ApprovalTitle => (
                "Затвердження винятків щодо пальців",
                "Approval of finger exceptions",
            ),
            Text::ApprovalHint => (
                "Оформлення почнеться, коли супервізор затвердить кожен виняток: тут, увівши свій логін і пароль, або зі свого сеансу.",
                "The enrolment starts once a supervisor approves every exception: here, entering their login and password, or from their own session.",
            ),
            Text::DeclaredBy => ("Заявив", "Declared by"),
            Text::ApprovedBy => ("Затвердив", "Approved by"),
            Text::AwaitingApproval => ("очікує затвердження", "awaiting approval"),
            Text::Approve => ("Затвердити", "Approve"),
            Text::ApproveAs => ("Затвердити як", "Approve as"),
            Text::SupervisorLogin => ("Логін супервізора", "Supervisor's login"),
            Text::SupervisorPassword => ("Пароль супервізора", "Supervisor's password"),
            Text::ApproveSupervisorOnly => (
                "Лише супервізор може затвердити виняток щодо пальця.",
                "Only a supervisor may approve a finger exception.",
            ),
            Text::ApproveOwn => (
                "Хто заявив виняток, той його не затверджує: затверджує інший супервізор.",
                "Whoever declared an exception may not approve it: another supervisor does.",
            ),
            Text::ApproveTick => (
                "Позначте винятки, які затверджуєте.",
                "Tick the exceptions you approve.",
            ),
            Text::ApprovalBySupervisor => ("Затвердження супервізора", "The supervisor's approval"),
            Text::ExceptionsApproved => (
                "Затверджені винятки щодо пальців",
                "Finger exceptions approved",
            ),
            Text::PhotoTitle => ("Фото", "Photo"),
            Text::PhotoLiveAlt => (
                "Камера наживо: рамка обличчя, лінія очей і рамка кадру ICAO",
                "Live camera: the face box, the eye line and the ICAO crop frame",
            ),
            Text::PhotoLegend => (
                "Зелене — обличчя й лінія очей; синє — кадр для чипа; бірюзове — лінії тімені, очей, підборіддя й середини.",
                "Green: the face and the eye line; blue: the crop for the chip; cyan: the crown, eye, chin and centre lines.",
            ),
            Text::PhotoGuidance => ("Що виправити", "What to fix"),
            Text::PhotoHold => ("Добре — не рухайтеся", "Good — hold still"),
            Text::PhotoWaiting => ("Очікування камери…", "Waiting for the camera…"),
            Text::PhotoStreak => (
                "Добрі кадри поспіль (знімок — автоматично)",
                "Good frames in a row (the picture is taken by itself)",
            ),
            Text::PhotoCrop => ("Фото для чипа (DG2)", "Portrait for the chip (DG2)"),
            Text::PhotoKeptUntilNext => (
                "Зберігається лише в пам'яті, доки не почнеться наступне оформлення",
                "Held in memory only, until the next enrolment begins",
            ),
            Text::PhotoReviewTitle => ("Перевірте фото", "Check the portrait"),
            Text::PhotoReviewHint => (
                "Це фото буде записано в чип. Залишити його чи сфотографувати знову?",
                "This portrait goes on the chip. Keep it, or take another?",
            ),
            Text::PhotoKeep => ("Залишити фото", "Keep the portrait"),
            Text::PhotoRetake => ("Сфотографувати знову", "Retake"),
            Text::PhotoNotReviewing => (
                "Оформлення зараз не очікує рішення щодо фото",
                "The enrolment is not waiting for a decision on the portrait",
            ),
            Text::CardTitle => ("Картка", "Card"),
            Text::CardPresent => (
                "Покладіть чисту картку на зчитувач і не знімайте її, доки картку не буде видано.",
                "Place a blank card on the reader and leave it there until the card is issued.",
            ),
            Text::CardReadBack => (
                "Картку зчитують і перевіряють: тримайте її на зчитувачі.",
                "The card is being read back and checked: keep it on the reader.",
            ),
            Text::CardStopped => ("Запис картки не завершено.", "The card was not finished."),
            Text::CardPutBack => (
                "Не видавайте цю картку. Покладіть ту саму картку знову на зчитувач і натисніть «Продовжити»: запис продовжиться з того місця, де зупинився. Картку, яку неможливо завершити, буде записано як зіпсовану, і система попросить чисту.",
                "Do not hand this card out. Put the same card back on the reader and press Resume: writing continues where it stopped. A card that cannot be finished is recorded as spoilt and a blank card is asked for.",
            ),
        };
        match self {
            Lang::Uk => uk,
            Lang::En => en,
        }
    }
}
