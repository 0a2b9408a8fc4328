//! Finger exceptions (issue 14, the fingers screen): before the enrolment starts, the operator
//! declares a finger missing or unusable with its cause (amputated, bandaged or injured, unable
//! to present, or other with words), and the enrolment waits until a user with the supervisor
//! role — another person than the one who declared it — approves each exception. The approved
//! exceptions become the pipeline's declared missing fingers
//! ([`MissingFinger`]: finger, cause, approver), which the fingers record keeps in the journal.
//!
//! Until the enrolment is finished the exceptions are kept beside its spooled applicant file
//! (`<id>.exceptions.json`, 0600), so that a restart or a resume knows them.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

use permitkit_biometrics::FingerPosition;
use permitkit_station::finger_selection::{MissingCause, MissingFinger, SelectionRule};

/// The most exceptions one enrolment may carry (ten fingers).
pub const MAX_EXCEPTIONS: usize = 10;

/// One finger declared missing or unusable, and its approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerException {
    /// The finger.
    pub finger: FingerPosition,
    /// Why.
    pub cause: MissingCause,
    /// The operator who declared it.
    pub declared_by: String,
    /// The supervisor who approved it, once one did.
    #[serde(default)]
    pub approved_by: Option<String>,
}

impl FingerException {
    /// The pipeline's declared missing finger (with its approver).
    pub fn to_missing(&self) -> MissingFinger {
        MissingFinger {
            finger: self.finger,
            cause: Some(self.cause.clone()),
            approved_by: self.approved_by.clone(),
        }
    }
}

/// Why a declaration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeclareError {
    /// The finger is not one the document's selection rule would capture.
    #[error("{0} is not a finger this document captures")]
    NotCaptured(FingerPosition),
    /// The finger is declared twice.
    #[error("{0} is declared twice")]
    Twice(FingerPosition),
    /// Every candidate of a slot is declared: no finger would remain for it.
    #[error("no finger would remain in place of the {0}: every substitute is declared missing")]
    NothingLeft(FingerPosition),
    /// Too many exceptions.
    #[error("at most {MAX_EXCEPTIONS} exceptions")]
    TooMany,
}

/// Checks `declared` against the selection `rule`: each finger one the rule would capture, none
/// twice, at least one candidate left in every slot.
pub fn check(rule: &SelectionRule, declared: &[FingerException]) -> Result<(), DeclareError> {
    if declared.len() > MAX_EXCEPTIONS {
        return Err(DeclareError::TooMany);
    }
    for (i, e) in declared.iter().enumerate() {
        if !rule.slots.iter().any(|s| s.candidates.contains(&e.finger)) {
            return Err(DeclareError::NotCaptured(e.finger));
        }
        if declared.iter().take(i).any(|d| d.finger == e.finger) {
            return Err(DeclareError::Twice(e.finger));
        }
    }
    for slot in &rule.slots {
        let left = slot
            .candidates
            .iter()
            .any(|c| !declared.iter().any(|d| d.finger == *c));
        if !left {
            let wanted = slot
                .candidates
                .first()
                .copied()
                .unwrap_or(FingerPosition::Unknown);
            return Err(DeclareError::NothingLeft(wanted));
        }
    }
    Ok(())
}

/// Why an approval was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApproveError {
    /// The approver declared the exception: a second person approves it.
    #[error("{0} declared this exception: another supervisor approves it")]
    OwnDeclaration(String),
    /// No exception of that finger waits for approval.
    #[error("no exception of the {0} waits for approval")]
    NotPending(FingerPosition),
}

/// The exceptions of one enrolment.
#[derive(Debug, Default)]
pub struct Exceptions(Mutex<Vec<FingerException>>);

impl Exceptions {
    /// These exceptions.
    pub fn new(list: Vec<FingerException>) -> Self {
        Self(Mutex::new(list))
    }

    fn lock(&self) -> MutexGuard<'_, Vec<FingerException>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every exception and its approval, as now.
    pub fn list(&self) -> Vec<FingerException> {
        self.lock().clone()
    }

    /// No exception.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Every exception is approved.
    pub fn all_approved(&self) -> bool {
        self.lock().iter().all(|e| e.approved_by.is_some())
    }

    /// Records `supervisor`'s approval of the exceptions of `fingers` (all or none); returns
    /// the exceptions as they now stand.
    pub fn approve(
        &self,
        fingers: &[FingerPosition],
        supervisor: &str,
    ) -> Result<Vec<FingerException>, ApproveError> {
        let mut list = self.lock();
        for f in fingers {
            let Some(e) = list
                .iter()
                .find(|e| e.finger == *f && e.approved_by.is_none())
            else {
                return Err(ApproveError::NotPending(*f));
            };
            if e.declared_by == supervisor {
                return Err(ApproveError::OwnDeclaration(supervisor.to_owned()));
            }
        }
        for e in list.iter_mut().filter(|e| fingers.contains(&e.finger)) {
            e.approved_by = Some(supervisor.to_owned());
        }
        Ok(list.clone())
    }

    /// The approved exceptions as the pipeline's declared missing fingers.
    pub fn missing(&self) -> Vec<MissingFinger> {
        self.lock()
            .iter()
            .filter(|e| e.approved_by.is_some())
            .map(FingerException::to_missing)
            .collect()
    }
}

/// One exception as the integration API's create request declares it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declared {
    finger: FingerPosition,
    cause: MissingCause,
}

/// The exceptions of a create request's `missing_fingers` (`[{"finger": "right-index",
/// "cause": "amputated"}, {"finger": …, "cause": {"other": "words"}}]`), declared by
/// `declared_by`; every problem with its field.
pub fn from_json(
    value: serde_json::Value,
    declared_by: &str,
) -> Result<Vec<FingerException>, Vec<crate::applicant_json::FieldError>> {
    use crate::applicant_json::FieldError;
    let list: Vec<Declared> = serde_json::from_value(value)
        .map_err(|e| vec![FieldError::new("missing_fingers", e.to_string())])?;
    if list.len() > MAX_EXCEPTIONS {
        return Err(vec![FieldError::new(
            "missing_fingers",
            DeclareError::TooMany.to_string(),
        )]);
    }
    let mut out = Vec::with_capacity(list.len());
    let mut errors = Vec::new();
    for (i, d) in list.into_iter().enumerate() {
        // An `other` cause needs words, and not too many.
        let text = match &d.cause {
            MissingCause::Other(t) => t.as_str(),
            _ => "",
        };
        match MissingCause::parse(d.cause.name(), text) {
            Some(cause) => out.push(FingerException {
                finger: d.finger,
                cause,
                declared_by: declared_by.to_owned(),
                approved_by: None,
            }),
            None => errors.push(FieldError::new(
                format!("missing_fingers[{i}].cause"),
                format!(
                    "say what the other cause is, in 1 to {} characters",
                    MissingCause::MAX_TEXT
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The file beside a spooled applicant file that keeps its exceptions.
pub fn file_beside(applicant: &Path) -> PathBuf {
    applicant.with_extension("exceptions.json")
}

/// Writes `list` to `path` (0600, replacing what was there).
pub fn save(path: &Path, list: &[FingerException]) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(list).map_err(std::io::Error::other)?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    permitkit_model::private_file::write_new(path, &json)
}

/// The exceptions kept at `path`: none when there is no file; an error when it does not read.
pub fn load(path: &Path) -> std::io::Result<Vec<FingerException>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    if bytes.len() > 64 * 1024 {
        return Err(std::io::Error::other("the exceptions file is too large"));
    }
    let list: Vec<FingerException> =
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
    if list.len() > MAX_EXCEPTIONS {
        return Err(std::io::Error::other("too many exceptions"));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FingerPosition::*;

    fn declared(finger: FingerPosition) -> FingerException {
        FingerException {
            finger,
            cause: MissingCause::Amputated,
            declared_by: "olena".into(),
            approved_by: None,
        }
    }

    #[test]
    fn a_declaration_leaves_a_finger_in_every_slot() {
        let rule = SelectionRule::eu_default();
        check(&rule, &[declared(RightIndex), declared(LeftMiddle)]).unwrap();
        assert_eq!(
            check(&rule, &[declared(RightLittle)]),
            Err(DeclareError::NotCaptured(RightLittle))
        );
        assert_eq!(
            check(&rule, &[declared(RightIndex), declared(RightIndex)]),
            Err(DeclareError::Twice(RightIndex))
        );
        let whole_hand: Vec<_> = [RightIndex, RightMiddle, RightRing, RightThumb]
            .into_iter()
            .map(declared)
            .collect();
        assert_eq!(
            check(&rule, &whole_hand),
            Err(DeclareError::NothingLeft(RightIndex))
        );
    }

    #[test]
    fn each_exception_is_approved_by_another_person() {
        let e = Exceptions::new(vec![declared(RightIndex), declared(LeftIndex)]);
        assert!(!e.all_approved());
        assert!(e.missing().is_empty(), "nothing approved, nothing missing");
        assert_eq!(
            e.approve(&[RightIndex], "olena"),
            Err(ApproveError::OwnDeclaration("olena".into()))
        );
        e.approve(&[RightIndex], "petro").unwrap();
        assert!(!e.all_approved());
        assert_eq!(
            e.approve(&[RightIndex], "petro"),
            Err(ApproveError::NotPending(RightIndex)),
            "approved once"
        );
        e.approve(&[LeftIndex], "petro").unwrap();
        assert!(e.all_approved());
        let missing = e.missing();
        assert_eq!(missing.len(), 2);
        assert_eq!(missing[0].approved_by.as_deref(), Some("petro"));
        assert_eq!(missing[0].cause, Some(MissingCause::Amputated));
    }

    #[test]
    fn the_api_declares_exceptions_with_their_causes() {
        let got = from_json(
            serde_json::json!([
                { "finger": "right-index", "cause": "amputated" },
                { "finger": "left-index", "cause": { "other": "burn scar" } }
            ]),
            "api:national-system",
        )
        .unwrap();
        assert_eq!(got[1].cause, MissingCause::Other("burn scar".into()));
        assert_eq!(got[0].declared_by, "api:national-system");
        let errors = from_json(
            serde_json::json!([{ "finger": "right-index", "cause": { "other": " " } }]),
            "api:x",
        )
        .unwrap_err();
        assert_eq!(errors[0].field, "missing_fingers[0].cause");
        for bad in [
            serde_json::json!({ "finger": "right-index" }),
            serde_json::json!([{ "finger": "right-index", "cause": "lost" }]),
            serde_json::json!([{ "finger": "right-index", "cause": "amputated", "by": "x" }]),
            serde_json::json!([{ "finger": "eleventh", "cause": "amputated" }]),
        ] {
            let errors = from_json(bad.clone(), "api:x").unwrap_err();
            assert_eq!(errors[0].field, "missing_fingers", "{bad}");
        }
    }

    #[test]
    fn exceptions_survive_in_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_beside(&dir.path().join("e-1.toml"));
        assert!(path.to_string_lossy().ends_with("e-1.exceptions.json"));
        assert!(load(&path).unwrap().is_empty(), "no file: none");
        let mut list = vec![declared(RightIndex)];
        save(&path, &list).unwrap();
        list[0].approved_by = Some("petro".into());
        save(&path, &list).unwrap();
        assert_eq!(load(&path).unwrap(), list);
        std::fs::write(&path, b"{").unwrap();
        assert!(load(&path).is_err(), "a damaged file is an error, not none");
    }
}
