//! A failed step in the operator's language: what happened and what to do, from the pipeline's
//! typed [`Cause`]; the pipeline's own message (English, with every cause in its chain) follows
//! as the technical detail for the administrator (ARCHITECTURE.md §4: errors keep their
//! source).

use super::html::esc;
use super::i18n::Lang;
use permitkit_station::cause::Cause;
use permitkit_station::pipeline::Step;

/// What happened, and what the operator does about it.
pub(super) fn cause(l: Lang, cause: Cause) -> (&'static str, &'static str) {
    let (uk, en) = match cause {
        Cause::ApplicantData => (
            (
                "Дані заявника не відповідають вимогам документа.",
                "Виправте дані й почніть нове оформлення.",
            ),
            (
                "The applicant's data is not valid for the document.",
                "Correct the data and start a new enrolment.",
            ),
        ),
        Cause::ApplicantChanged => (
            (
                "Файл заявника змінився після початку оформлення.",
                "Почніть нове оформлення з чинним файлом.",
            ),
            (
                "The applicant file changed after the enrolment began.",
                "Start a new enrolment with the current file.",
            ),
        ),
        Cause::NotIssuedHere => (
            (
                "Ця станція не видає такий документ.",
                "Передайте заяву на станцію, яка його видає.",
            ),
            (
                "This station does not issue this document.",
                "Pass the application to a station that issues it.",
            ),
        ),
        Cause::Finished => (
            (
                "Оформлення вже завершене: відновлювати нічого.",
                "Його стан видно в журналі.",
            ),
            (
                "The enrolment is already over: there is nothing to resume.",
                "The journal shows its state.",
            ),
        ),
        Cause::Camera => (
            (
                "Камера не працює або не відкрилася.",
                "Перевірте, чи підключено камеру, і відновіть оформлення.",
            ),
            (
                "The camera failed or did not open.",
                "Check that the camera is connected and resume the enrolment.",
            ),
        ),
        Cause::NoPortrait => (
            (
                "Жоден кадр не пройшов перевірку якості фото за відведений час.",
                "Усуньте останню названу проблему (світло, поза, окуляри, фон) і відновіть \
                 оформлення.",
            ),
            (
                "No frame passed the portrait quality checks in the time allowed.",
                "Fix the last problem named (light, pose, glasses, background) and resume the \
                 enrolment.",
            ),
        ),
        Cause::PortraitNotReviewed => (
            (
                "Знімок не прийнято й не перезнято вчасно: його не збережено.",
                "Відновіть оформлення, щоб зняти фото знову.",
            ),
            (
                "The portrait was neither kept nor retaken in time: it was not kept.",
                "Resume the enrolment to take the photo again.",
            ),
        ),
        Cause::Scanner => (
            (
                "Сканер відбитків пальців не працює або не відкрився.",
                "Перевірте, чи підключено сканер, і відновіть оформлення.",
            ),
            (
                "The fingerprint scanner failed or did not open.",
                "Check that the scanner is connected and resume the enrolment.",
            ),
        ),
        Cause::NoUsableFinger => (
            (
                "Для обов'язкового пальця немає придатного відбитка.",
                "Відновіть оформлення й зніміть відбитки знову або оголосіть палець відсутнім \
                 (виняток затверджує керівник).",
            ),
            (
                "No usable print for a required finger.",
                "Resume the enrolment and capture again, or declare the finger missing (a \
                 supervisor approves the exception).",
            ),
        ),
        Cause::Signature => (
            (
                "Підпис не отримано з планшета або його неможливо використати.",
                "Перевірте планшет для підпису й відновіть оформлення.",
            ),
            (
                "The signature pad gave no signature, or it cannot be used.",
                "Check the signature pad and resume the enrolment.",
            ),
        ),
        Cause::CardReader => (
            (
                "Зчитувач карток не працює, не відкрився або картку не покладено.",
                "Перевірте зчитувач, покладіть картку й відновіть оформлення.",
            ),
            (
                "The card reader failed, did not open, or no card came.",
                "Check the reader, put the card on it and resume the enrolment.",
            ),
        ),
        Cause::CardPulled => (
            (
                "Картку забрали зі зчитувача під час запису: її записано не повністю.",
                "Покладіть ту саму картку назад і відновіть оформлення: запис продовжиться з \
                 місця зупинки.",
            ),
            (
                "The card left the reader while it was written: it is half written.",
                "Put the same card back and resume the enrolment: the writing continues where \
                 it stopped.",
            ),
        ),
        Cause::CardRefused => (
            (
                "Картку на зчитувачі відхилено; на неї нічого не записано.",
                "Покладіть картку цього оформлення або чисту картку й відновіть оформлення.",
            ),
            (
                "The card on the reader was refused; nothing was written to it.",
                "Put this enrolment's card or a blank card on the reader and resume the \
                 enrolment.",
            ),
        ),
        Cause::WrongCard => (
            (
                "На зчитувачі інша картка, не та, яку записує це оформлення.",
                "Покладіть картку цього оформлення й відновіть оформлення.",
            ),
            (
                "The card on the reader is not the card this enrolment writes.",
                "Put this enrolment's card on the reader and resume the enrolment.",
            ),
        ),
        Cause::CardFailed => (
            (
                "Картку записано, але вона не пройшла перевірку.",
                "Не видавайте цю картку. Відновіть оформлення: картку, яку неможливо \
                 завершити, буде записано як зіпсовану й замінено чистою.",
            ),
            (
                "The card was written but did not pass verification.",
                "Do not hand this card out. Resume the enrolment: a card that cannot be \
                 finished is recorded spoilt and replaced by a blank one.",
            ),
        ),
        Cause::OverBudget => (
            (
                "Дані чипа перевищують обмеження документа: картку не записано.",
                "Перегляньте розміри файлів; перезніміть фото або зверніться до \
                 адміністратора станції.",
            ),
            (
                "The chip's content is over the document's limits: the card was not written.",
                "Look at the file sizes; retake the photo or call the station's administrator.",
            ),
        ),
        Cause::StoppedAtReview => (
            (
                "Оформлення зупинено на перевірці: на картку нічого не записано.",
                "Щоб записати картку, відновіть оформлення — перевірка почнеться знову; інакше \
                 скасуйте оформлення в журналі.",
            ),
            (
                "The enrolment was stopped at the review: nothing was written to the card.",
                "To write the card, resume the enrolment — the review comes again; otherwise \
                 abandon the enrolment in the journal.",
            ),
        ),
        Cause::ReviewUndecided => (
            (
                "Перевірку не підтверджено вчасно: на картку нічого не записано.",
                "Відновіть оформлення, щоб переглянути дані знову.",
            ),
            (
                "No one confirmed the review in time: nothing was written to the card.",
                "Resume the enrolment to review the data again.",
            ),
        ),
        Cause::SigningRefused => (
            (
                "Підписувач документів відмовився підписувати (строк дії, ліміт документів \
                 або журнал аудиту).",
                "Зверніться до адміністратора PKI, потім відновіть оформлення.",
            ),
            (
                "The Document Signer refused to sign (usage period, document cap or audit \
                 log).",
                "Call the PKI administrator, then resume the enrolment.",
            ),
        ),
        Cause::StationSetUp => (
            (
                "Помилка налаштування станції (профілі, ключі, довірені сертифікати або \
                 підписувач документів).",
                "Зверніться до адміністратора станції з технічними подробицями нижче.",
            ),
            (
                "The station's set-up failed (profiles, keys, trust points or Document \
                 Signer).",
                "Call the station's administrator with the technical detail below.",
            ),
        ),
        Cause::Storage => (
            (
                "Помилка журналу або папки оформлення.",
                "Зверніться до адміністратора станції з технічними подробицями нижче.",
            ),
            (
                "The journal or the enrolment's folder failed.",
                "Call the station's administrator with the technical detail below.",
            ),
        ),
    };
    match l {
        Lang::Uk => uk,
        Lang::En => en,
    }
}

/// The failure notice of the progress page: the step, what happened and what to do (when the
/// cause is known: enrolments failed before the journal kept causes have none), the last
/// problem the operator was told of when there is one (the photo's guidance, already in the
/// operator's language), and the pipeline's message as technical detail.
pub(super) fn notice(
    l: Lang,
    step: Step,
    cause: Option<Cause>,
    error: &str,
    last_problem: Option<&str>,
) -> String {
    // The pipeline's error usually names its step already.
    let prefix = format!("{step}: ");
    let detail = error.strip_prefix(&prefix).unwrap_or(error);
    let step_name = super::step_words::step(l, step);
    let Some(c) = cause else {
        return format!(
            "<div id=\"failure\" class=\"err\" role=\"alert\"><p><strong>{step_name}</strong>: \
             {}</p></div>",
            esc(detail)
        );
    };
    let (what, todo) = self::cause(l, c);
    let (technical, last) = match l {
        Lang::Uk => ("Технічні подробиці (англійською)", "Остання проблема"),
        Lang::En => ("Technical detail", "The last problem"),
    };
    let last = last_problem.map_or_else(String::new, |p| {
        format!(
            "<p id=\"last-problem\">{last}: <strong>{}</strong></p>",
            esc(p)
        )
    });
    format!(
        "<div id=\"failure\" class=\"err\" role=\"alert\" data-cause=\"{name}\">\
         <p><strong>{step_name}</strong>: {what}</p>{last}<p>{todo}</p>\
         <details><summary>{technical}</summary><code>{detail}</code></details></div>",
        name = c.name(),
        detail = esc(detail),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_is_said_in_both_languages() {
        for c in Cause::ALL {
            let (uk_what, uk_todo) = cause(Lang::Uk, c);
            let (en_what, en_todo) = cause(Lang::En, c);
            for t in [uk_what, uk_todo] {
                assert!(
                    t.chars().any(|ch| ('а'..='я').contains(&ch)),
                    "{c}: {t} is not Ukrainian"
                );
            }
            for t in [en_what, en_todo] {
                assert!(
                    !t.chars().any(|ch| ('а'..='я').contains(&ch)),
                    "{c}: {t} is not English"
                );
            }
            assert_ne!(uk_what, en_what);
        }
    }

    #[test]
    fn the_notice_says_what_to_do_and_keeps_the_detail() {
        let html = notice(
            Lang::Uk,
            Step::Personalize,
            Some(Cause::StoppedAtReview),
            "personalize: the card is not written: olena stopped at the review",
            None,
        );
        assert!(html.contains("на картку нічого не записано"), "{html}");
        assert!(html.contains("data-cause=\"stopped-at-review\""), "{html}");
        assert!(
            html.contains("<code>the card is not written: olena stopped at the review</code>"),
            "{html}"
        );
        assert!(html.contains("Запис картки"), "{html}");
        // No cause recorded (an older journal): the message alone, escaped.
        let html = notice(Lang::En, Step::Photo, None, "photo: <no face>", None);
        assert!(
            html.contains("&lt;no face&gt;") && !html.contains("<details>"),
            "{html}"
        );
        let html = notice(
            Lang::Uk,
            Step::Photo,
            Some(Cause::NoPortrait),
            "photo: live capture: no acceptable portrait within 2 s",
            Some("Додайте світла"),
        );
        assert!(
            html.contains("Остання проблема: <strong>Додайте світла</strong>"),
            "{html}"
        );
    }
}
