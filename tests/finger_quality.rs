//! L0/L1: fingerprint quality. The score must rank every degraded capture of a finger below the
//! clean capture of the same finger, for many fingers, and the flags must name the degradation;
//! the enrolment gate and the finger-selection rule must act on it.
use permitkit_biometrics::FingerPosition;
use permitkit_devices::{
    CaptureError,
    scanner::FingerprintScanner,
    scanner_sim::{SimEvent, SimScanner},
};
use permitkit_quality::{
    Verdict,
    finger::{DEFAULT_ENROLMENT_THRESHOLD, FingerFlag, assess, best_of, gate},
};
use permitkit_station::finger_selection::{SelectionError, SelectionRule, SkipReason, select};
use permitkit_synth::{Condition, MasterFinger};

const SEEDS: std::ops::Range<u64> = 100..112;

#[test]
fn degraded_captures_score_below_the_clean_one_and_are_flagged() {
    let expected = [
        (Condition::Dry, FingerFlag::TooDry),
        (Condition::Wet, FingerFlag::Smudged),
        (Condition::Blurred, FingerFlag::Blurred),
        (Condition::LowContrast, FingerFlag::LowContrast),
        (Condition::Partial, FingerFlag::TooLittleForeground),
        (Condition::Empty, FingerFlag::Empty),
    ];
    for seed in SEEDS {
        let finger = MasterFinger::new(seed, None, 400, 500).unwrap();
        let clean = assess(&finger.impression(Condition::Normal, 0), 500).unwrap();
        assert!(
            clean.flags.is_empty(),
            "seed {seed}: clean print flagged {:?}",
            clean.flags
        );
        assert_eq!(
            clean.verdict(DEFAULT_ENROLMENT_THRESHOLD),
            Verdict::Pass,
            "seed {seed}: {clean:?}"
        );
        for (condition, flag) in expected {
            let q = assess(&finger.impression(condition, 0), 500).unwrap();
            assert!(
                q.score + 15 <= clean.score,
                "seed {seed}: {condition} scored {} vs clean {}",
                q.score,
                clean.score
            );
            assert!(
                q.flags.contains(&flag),
                "seed {seed}: {condition} flags {:?}",
                q.flags
            );
            assert_eq!(
                q.verdict(DEFAULT_ENROLMENT_THRESHOLD),
                Verdict::Fail,
                "seed {seed}: {condition}"
            );
        }
        // Faintness from blur or skin is not misreported as a dirty platen.
        for condition in [Condition::Blurred, Condition::Dry, Condition::Wet] {
            let q = assess(&finger.impression(condition, 0), 500).unwrap();
            assert!(
                !q.flags.contains(&FingerFlag::LowContrast),
                "seed {seed}: {condition} {:?}",
                q.flags
            );
        }
    }
}

#[test]
fn measures_of_clean_prints_are_in_nfiq2_like_ranges() {
    let finger = MasterFinger::new(7, None, 400, 500).unwrap();
    let q = assess(&finger.impression(Condition::Normal, 0), 500).unwrap();
    let m = q.measures;
    assert!((8.0..=11.0).contains(&m.ridge_period), "{m:?}");
    assert!(m.ocl > 0.8 && m.lcs > 0.8 && m.of < 0.3, "{m:?}");
    assert!((0.75..=1.3).contains(&m.ridge_valley_ratio), "{m:?}");
    assert!(m.foreground_mm2 > 200.0, "{m:?}");
}

#[test]
fn best_of_n_prefers_the_accepted_capture_with_the_highest_score() {
    let mut s = SimScanner::new(3);
    s.push(SimEvent::Capture(Condition::Blurred));
    s.push(SimEvent::Capture(Condition::Normal));
    s.push(SimEvent::Capture(Condition::Wet));
    let outcomes: Vec<_> = (0..3)
        .map(|_| {
            gate(
                s.capture(FingerPosition::RightIndex).unwrap(),
                DEFAULT_ENROLMENT_THRESHOLD,
            )
            .unwrap()
        })
        .collect();
    let scores: Vec<u8> = outcomes.iter().map(|o| o.report().score).collect();
    let best = best_of(outcomes).unwrap();
    assert!(best.is_accepted());
    assert_eq!(best.report().score, *scores.iter().max().unwrap());
    assert_eq!(best.report().score, scores[1], "{scores:?}");
}

fn rule() -> SelectionRule {
    let mut r = SelectionRule::eu_default();
    r.attempts = 2;
    r
}

#[test]
fn both_index_fingers_are_enrolled_when_usable() {
    let mut s = SimScanner::new(21);
    let picked = select(&rule(), &[], |f| s.capture(f)).unwrap();
    let fingers: Vec<_> = picked.iter().map(|p| p.finger()).collect();
    assert_eq!(
        fingers,
        vec![FingerPosition::RightIndex, FingerPosition::LeftIndex]
    );
    assert!(
        picked
            .iter()
            .all(|p| !p.is_substitute() && p.skipped.is_empty())
    );
    assert!(
        picked
            .iter()
            .all(|p| p.capture.report().score >= DEFAULT_ENROLMENT_THRESHOLD)
    );
}

#[test]
fn a_declared_missing_or_unusable_finger_is_substituted_with_reasons() {
    // Right index declared missing; left index is scarred (always dry), left middle is fine.
    let mut s =
        SimScanner::new(22).with_finger_condition(FingerPosition::LeftIndex, Condition::Dry);
    let picked = select(&rule(), &[FingerPosition::RightIndex], |f| s.capture(f)).unwrap();
    assert_eq!(picked[0].finger(), FingerPosition::RightMiddle);
    assert_eq!(picked[0].wanted, FingerPosition::RightIndex);
    assert_eq!(picked[0].skipped.len(), 1);
    assert!(matches!(
        picked[0].skipped[0].reason,
        SkipReason::DeclaredMissing {
            cause: None,
            approved_by: None
        }
    ));
    assert_eq!(picked[1].finger(), FingerPosition::LeftMiddle);
    assert!(picked[1].is_substitute());
    match &picked[1].skipped[0].reason {
        SkipReason::PoorQuality {
            attempts, flags, ..
        } => {
            assert_eq!(*attempts, 2);
            assert!(flags.contains(&"too-dry".to_owned()), "{flags:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_hand_with_no_usable_finger_is_a_clear_error_listing_every_reason() {
    let mut s = SimScanner::new(23)
        .with_finger_condition(FingerPosition::RightMiddle, Condition::Empty)
        .with_finger_condition(FingerPosition::RightRing, Condition::Wet);
    let missing = [FingerPosition::RightIndex, FingerPosition::RightThumb];
    let err = select(&rule(), &missing, |f| s.capture(f)).unwrap_err();
    let SelectionError::NoUsableFinger {
        slot,
        wanted,
        skipped,
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!((*slot, *wanted), (0, FingerPosition::RightIndex));
    let fingers: Vec<_> = skipped.iter().map(|s| s.finger).collect();
    assert_eq!(
        fingers,
        vec![
            FingerPosition::RightIndex,
            FingerPosition::RightMiddle,
            FingerPosition::RightRing,
            FingerPosition::RightThumb
        ]
    );
    let text = err.to_string();
    assert!(text.contains("right-index: declared missing"), "{text}");
    assert!(
        text.contains("right-middle: best of 2 attempts scored 0 (empty)"),
        "{text}"
    );
    assert!(text.contains("smudged"), "{text}");
    assert!(text.contains("right-thumb: declared missing"), "{text}");
}

#[test]
fn timeouts_count_as_failed_attempts_and_disconnects_stop_selection() {
    let mut s = SimScanner::new(24).with_timeout(std::time::Duration::from_millis(1500));
    s.push(SimEvent::Timeout);
    let picked = select(&rule(), &[], |f| s.capture(f)).unwrap();
    assert_eq!(picked[0].finger(), FingerPosition::RightIndex);
    assert_eq!(picked[0].attempts, 2);

    let mut s = SimScanner::new(24);
    s.push(SimEvent::Timeout);
    s.push(SimEvent::Timeout);
    let mut r = rule();
    r.slots.truncate(1);
    r.slots[0].candidates.truncate(1);
    let err = select(&r, &[], |f| s.capture(f)).unwrap_err();
    assert!(
        err.to_string().contains("no capture within 20.0 s"),
        "{err}"
    );

    let mut s = SimScanner::new(25);
    s.push(SimEvent::Disconnect);
    let err = select(&rule(), &[], |f| s.capture(f)).unwrap_err();
    assert!(
        matches!(
            err,
            SelectionError::Device(CaptureError::Disconnected { .. })
        ),
        "{err}"
    );
    // Stays disconnected until plugged back in.
    assert!(s.capture(FingerPosition::LeftIndex).is_err());
    s.reconnect();
    assert!(s.capture(FingerPosition::LeftIndex).is_ok());
}

#[test]
fn bad_rules_are_refused() {
    let mut r = SelectionRule::eu_default();
    r.slots[1].candidates.push(FingerPosition::RightIndex);
    assert!(matches!(
        select(&r, &[], |_| unreachable!()),
        Err(SelectionError::BadRule(_))
    ));
    let mut r = SelectionRule::eu_default();
    r.attempts = 0;
    assert!(matches!(
        select(&r, &[], |_| unreachable!()),
        Err(SelectionError::BadRule(_))
    ));
}
