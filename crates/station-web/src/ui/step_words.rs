//! The pipeline's steps and their one-line results in the operator's language: a step's name,
//! and its summary said from its typed result ([`StepResult`], the record the journal keeps).
//! In English the pipeline's own summary is shown; in Ukrainian the same figures are said
//! here, as "label: figure" so that numbers need no plural forms.

use super::fingers::finger_name;
use super::i18n::Lang;
use permitkit_station::finger_selection::MissingFinger;
use permitkit_station::pipeline::{
    FingersRecord, NoFingers, PhotoVerdict, SignatureRecord, Step, StepResult,
};

/// The step's name.
pub(super) fn step(l: Lang, step: Step) -> &'static str {
    let (uk, en) = match step {
        Step::Applicant => ("Дані заявника", "Applicant data"),
        Step::Photo => ("Фото", "Photo"),
        Step::Fingers => ("Відбитки пальців", "Fingerprints"),
        Step::Signature => ("Підпис", "Signature"),
        Step::ChipImage => ("Дані чипа", "Chip content"),
        Step::Personalize => ("Запис картки", "Writing the card"),
        Step::Verify => ("Перевірка картки", "Verifying the card"),
        // A step added later shows as the pipeline names it until it is said here.
        other => (other.name(), other.name()),
    };
    match l {
        Lang::Uk => uk,
        Lang::En => en,
    }
}

/// The step's summary: `english` (the pipeline's) in English, said from `result` in Ukrainian.
pub(super) fn summary(l: Lang, result: &StepResult, english: &str) -> String {
    match l {
        Lang::En => english.to_owned(),
        Lang::Uk => ukrainian(result).unwrap_or_else(|| english.to_owned()),
    }
}

fn yes(flag: bool, text: &str) -> String {
    if flag {
        format!(", {text}")
    } else {
        String::new()
    }
}

fn ukrainian(result: &StepResult) -> Option<String> {
    Some(match result {
        StepResult::Applicant(r) => format!(
            "{} ({}), {}{}",
            r.application,
            r.document_profile,
            if r.mrz_name_possibly_truncated {
                "ім'я заповнює поле імені МЗЧ і там може бути скорочене (9303-5 §4.2.3.3); DG11 \
                 містить його повністю"
            } else {
                "ім'я вміщується в МЗЧ"
            },
            yes(
                r.fingerprints_on_chip,
                "відбитки пальців записуються на чип"
            ),
        ),
        StepResult::Photo(r) => format!(
            "{} після кадрів: {}, JPEG {}×{}, байтів: {} (якість {}){}",
            match r.verdict {
                PhotoVerdict::Pass => "відповідає вимогам",
                PhotoVerdict::Warn => "прийнято із зауваженнями",
                _ => "прийнято",
            },
            r.frames,
            r.width,
            r.height,
            r.jpeg_bytes,
            r.jpeg_quality,
            if r.warnings.is_empty() {
                String::new()
            } else {
                format!("; зауважень: {}", r.warnings.len())
            }
        ),
        StepResult::Fingers(r) => fingers(r)?,
        StepResult::Signature(SignatureRecord::NotOnDocument) => {
            "не розміщується на цьому документі".to_owned()
        }
        StepResult::Signature(SignatureRecord::Captured {
            strokes,
            width,
            height,
            jpeg_bytes,
            ..
        }) => format!("штрихів: {strokes}, JPEG {width}×{height}, байтів: {jpeg_bytes}"),
        StepResult::ChipImage(r) => format!(
            "файлів: {}, байтів: {}, підписано; зберігається в журналі зашифрованим до перевірки \
             картки",
            r.manifest.files.len(),
            r.manifest.files.iter().map(|f| f.size).sum::<usize>(),
        ),
        StepResult::Personalize(r) => format!(
            "{}команд APDU: {} (мінімум {}), надіслано байтів: {}, {} мс{}{}{}",
            r.chip_serial
                .as_ref()
                .map_or_else(String::new, |s| format!("картка {s}: ")),
            r.apdus,
            r.minimum_apdus,
            r.bytes_sent,
            r.millis,
            yes(r.resumed, "запис відновлено"),
            if r.locked {
                ", ЗАБЛОКОВАНО"
            } else {
                ", НЕ заблоковано: персоналізовано, не видано"
            },
            if r.spoilt_cards.is_empty() {
                String::new()
            } else {
                let list: Vec<&str> = r.spoilt_cards.iter().map(|s| s.as_str()).collect();
                format!(", зіпсовані картки знищити: {}", list.join(", "))
            },
        ),
        StepResult::Verify(r) => format!(
            "прочитано через {}: ідентичних файлів: {}, пасивну автентифікацію пройдено{}{}{}{}",
            r.protocol,
            r.files,
            yes(r.active_authentication, "активну автентифікацію пройдено"),
            yes(r.chip_authentication, "чип автентифіковано"),
            match (&r.chip_serial, r.locked) {
                (Some(s), true) => format!(", картку {s} заблоковано"),
                (Some(s), false) => format!(", картку {s} НЕ заблоковано"),
                (None, _) => String::new(),
            },
            match &r.terminal {
                Some(t) => format!(
                    ", {} без автентифікації термінала {}, з нею — ідентичні ({t})",
                    r.eac_protected.join(", "),
                    if r.locked {
                        "не видаються"
                    } else {
                        "ще не захищені (картку не заблоковано)"
                    }
                ),
                None => String::new(),
            }
        ),
        #[allow(unreachable_patterns, reason = "StepResult may grow")]
        _ => return None,
    })
}

fn fingers(r: &FingersRecord) -> Option<String> {
    let l = Lang::Uk;
    Some(match r {
        FingersRecord::NotWritten {
            reason: NoFingers::NoConsent,
        } => "немає письмової згоди власника: DG3 не записується".to_owned(),
        FingersRecord::NotWritten {
            reason: NoFingers::NotOnDocument,
        } => "документ не містить відбитків пальців".to_owned(),
        FingersRecord::Captured { fingers, declared } => {
            let mut line = fingers
                .iter()
                .map(|f| {
                    let name = finger_name(l, f.captured);
                    if f.captured == f.wanted {
                        format!("{name} {}", f.quality)
                    } else {
                        format!(
                            "{name} {} (замість: {})",
                            f.quality,
                            finger_name(l, f.wanted)
                        )
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            if !declared.is_empty() {
                line.push_str("; оголошено відсутніми: ");
                line.push_str(
                    &declared
                        .iter()
                        .map(|m: &MissingFinger| finger_name(l, m.finger))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            line
        }
        #[allow(unreachable_patterns, reason = "the records may grow")]
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_station::pipeline::{ApplicantRecord, SignatureRecord};

    #[test]
    fn every_step_has_a_name_in_both_languages() {
        for s in Step::ALL {
            assert_ne!(step(Lang::Uk, s), step(Lang::En, s));
            assert!(!step(Lang::Uk, s).is_ascii(), "{s}");
        }
    }

    #[test]
    fn summaries_are_said_from_the_typed_result() {
        let applicant = StepResult::Applicant(ApplicantRecord {
            application: "TRP-7".into(),
            document_profile: "ua-trp".into(),
            mrz_name_possibly_truncated: false,
            fingerprints_on_chip: true,
        });
        assert_eq!(
            summary(
                Lang::Uk,
                &applicant,
                "TRP-7 (ua-trp), the name fits the MRZ"
            ),
            "TRP-7 (ua-trp), ім'я вміщується в МЗЧ, відбитки пальців записуються на чип"
        );
        assert_eq!(
            summary(
                Lang::En,
                &applicant,
                "TRP-7 (ua-trp), the name fits the MRZ"
            ),
            "TRP-7 (ua-trp), the name fits the MRZ"
        );
        let signature = StepResult::Signature(SignatureRecord::Captured {
            strokes: 7,
            points: 300,
            width: 480,
            height: 160,
            jpeg_bytes: 5321,
            jpeg_quality: 80,
        });
        assert_eq!(
            summary(Lang::Uk, &signature, ""),
            "штрихів: 7, JPEG 480×160, байтів: 5321"
        );
        let none = StepResult::Fingers(FingersRecord::NotWritten {
            reason: NoFingers::NoConsent,
        });
        assert!(summary(Lang::Uk, &none, "").contains("згоди"));
    }
}
