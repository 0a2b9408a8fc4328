//! Personalization + read-back of a full card (DG2 ≈ 20 KB, DG3 two fingers ≈ 24 KB, PACE
//! brainpoolP256r1/AES-128) and an inspection read over PACE, in-process against the virtual
//! chip and — when run inside `.ci/pcsc-stack` (PERMITKIT_PCSC_STACK=1, feature `pcsc`) —
//! through pcscd and vpcd:
//!
//! ```sh
//! cargo bench --bench chip
//! cargo build --release --features pcsc --bin permitkit && \
//!   PERMITKIT_BIN=target/release/permitkit .ci/pcsc-stack cargo bench --features pcsc --bench chip
//! ```
//! APDU counts against the minimum are printed once per configuration. `read-pace-cam` reads a
//! full card (DG2 ≈ 20 KB, DG3 two fingers ≈ 24 KB) issued with PACE-CAM and Chip
//! Authentication (ICAO 9303-11 §4.4.3.3.3, §6.2): PACE-CAM with the CAN, EF.CardSecurity, every
//! file, the chip proved with the EF.CardSecurity key; through pcscd it needs the stack's card
//! feeder for a blank card (`.ci/pcsc-stack` provides one).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: an unexpected value fails the test loudly"
)]

use criterion::{Criterion, criterion_group, criterion_main};

#[expect(
    dead_code,
    reason = "the benchmark uses part of the shared test support"
)]
#[path = "../tests/support/eac.rs"]
mod eac;

use permitkit_chip::CardChannel;
use permitkit_chip::channel::Counting;
use permitkit_chip::crypto::Cipher;
use permitkit_chip::identity::ChipSerialSource;
use permitkit_chip::journal::MemoryJournal;
use permitkit_chip::perso::{
    self, Dialect, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions,
};
use permitkit_chip::reader::{self, AccessKey};
use permitkit_model::secret::SecretString;
use permitkit_simulator::sample::{self, SAMPLE_CAN};
use permitkit_simulator::{Card, CardConfig};

fn input() -> PersoInput {
    sample::sample_input(Some(sample::pace_info(Cipher::Aes128, 13)), 20_000, 24_000)
}

fn options(limits: PersoLimits, lock: bool) -> PersoOptions<'static> {
    PersoOptions {
        dialect: Dialect::PermitkitV1,
        file_access: FileAccessRules::EMRTD,
        chip_serial: ChipSerialSource::GpCplc,
        limits,
        lock: lock.then(LockPermission::irreversible),
        verifier: None,
    }
}

/// The full card with PACE-CAM and Chip Authentication, signed by a TEST ONLY PKI.
fn pace_cam_input() -> PersoInput {
    use permitkit_lds::security_infos::PaceMapping;
    let card = eac::EacCard {
        full_size: true,
        ..eac::EacCard::pace(PaceMapping::ChipAuthentication)
    };
    eac::input(&eac::image(&eac::pki(), &card, None))
}

fn read_pace_cam(card: &mut dyn CardChannel, limits: PersoLimits) {
    let contents = reader::read(
        card,
        &AccessKey::Can(SecretString::from(eac::CAN)),
        limits.read,
    )
    .unwrap();
    assert!(contents.chip_authentication.is_authenticated());
}

fn in_process(c: &mut Criterion) {
    {
        let limits = PersoLimits::new(65_535, 65_536, 65_535);
        let mut card = Card::new(CardConfig::default());
        perso::personalize(
            &mut card,
            &pace_cam_input(),
            &options(limits, true),
            &mut MemoryJournal::new(),
            &mut |_| {},
        )
        .unwrap();
        let mut counting = Counting::new(&mut card);
        read_pace_cam(&mut counting, limits);
        eprintln!(
            "in-process extended: full card read with PACE-CAM {} APDUs",
            counting.stats().commands
        );
        c.bench_function("in-process/extended/read-pace-cam", |b| {
            b.iter(|| read_pace_cam(&mut card, limits))
        });
    }
    let input = input();
    for (name, limits) in [
        ("extended", PersoLimits::new(65_535, 65_536, 65_535)),
        ("short", PersoLimits::SHORT),
    ] {
        let mut card = Card::new(CardConfig::default());
        let r = perso::personalize(
            &mut card,
            &input,
            &options(limits, true),
            &mut MemoryJournal::new(),
            &mut |_| {},
        )
        .unwrap();
        let mut counting = Counting::new(&mut card);
        reader::read(
            &mut counting,
            &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
            limits.read,
        )
        .unwrap();
        eprintln!(
            "in-process {name}: personalize+read-back {} APDUs (minimum {}, ratio {:.2}); inspection read {} APDUs",
            r.stats.commands,
            r.minimum_apdus,
            r.stats.commands as f64 / r.minimum_apdus as f64,
            counting.stats().commands
        );
        c.bench_function(&format!("in-process/{name}/personalize+readback"), |b| {
            b.iter(|| {
                let mut card = Card::new(CardConfig::default());
                perso::personalize(
                    &mut card,
                    &input,
                    &options(limits, true),
                    &mut MemoryJournal::new(),
                    &mut |_| {},
                )
                .unwrap()
            })
        });
        c.bench_function(&format!("in-process/{name}/read-pace-can"), |b| {
            b.iter(|| {
                reader::read(
                    &mut card,
                    &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
                    limits.read,
                )
                .unwrap()
            })
        });
    }
}

#[cfg(feature = "pcsc")]
fn through_pcscd(c: &mut Criterion) {
    use permitkit_devices::reader_pcsc::PcscCard;
    use permitkit_model::profiles::Registry;
    use std::time::Duration;
    if std::env::var("PERMITKIT_PCSC_STACK").as_deref() != Ok("1") {
        eprintln!("pcscd+vpcd benchmarks skipped: run inside .ci/pcsc-stack (see the file header)");
        return;
    }
    let glob = std::env::var("PERMITKIT_PCSC_READER").unwrap();
    let registry = Registry::builtin().unwrap();
    let chip = registry.chip("permitkit-virtual").unwrap().clone();
    {
        // A full card issued with PACE-CAM on a blank card of the feeder, read again and again.
        present_blank(&glob);
        let mut card = PcscCard::open(&glob, Duration::from_secs(10)).unwrap();
        let limits =
            PersoLimits::from_profiles(&chip, registry.reader_for_name(card.reader_name()));
        perso::personalize(
            &mut card,
            &pace_cam_input(),
            &options(limits, true),
            &mut MemoryJournal::new(),
            &mut |_| {},
        )
        .unwrap();
        card.reset().unwrap();
        let started = std::time::Instant::now();
        let mut counting = Counting::new(&mut card);
        read_pace_cam(&mut counting, limits);
        eprintln!(
            "pcscd+vpcd: full card read with PACE-CAM {} APDUs, {} bytes out, {} in, {:.3} s",
            counting.stats().commands,
            counting.stats().bytes_sent,
            counting.stats().bytes_received,
            started.elapsed().as_secs_f64()
        );
        let mut group = c.benchmark_group("pcscd+vpcd");
        group.sample_size(10);
        group.bench_function("read-pace-cam", |b| {
            b.iter(|| {
                card.reset().unwrap();
                read_pace_cam(&mut card, limits);
            })
        });
        group.finish();
        // The benchmarks below personalize the card on the reader: a blank one.
        drop(card);
        present_blank(&glob);
    }
    let mut card = PcscCard::open(&glob, Duration::from_secs(10)).unwrap();
    let limits = PersoLimits::from_profiles(&chip, registry.reader_for_name(card.reader_name()));
    let input = input();
    // The simulator behind vpcd keeps its card: personalize without LOCK so it can be repeated
    // (every run rewrites the same files; the journal is fresh each time).
    let r = perso::personalize(
        &mut card,
        &input,
        &options(limits, false),
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
    eprintln!(
        "pcscd+vpcd: personalize+read-back {} APDUs (minimum {}), {:.3} s",
        r.stats.commands,
        r.minimum_apdus,
        r.wall.as_secs_f64()
    );
    let mut group = c.benchmark_group("pcscd+vpcd");
    group.sample_size(10);
    group.bench_function("personalize+readback", |b| {
        b.iter(|| {
            perso::personalize(
                &mut card,
                &input,
                &options(limits, false),
                &mut MemoryJournal::new(),
                &mut |_| {},
            )
            .unwrap()
        })
    });
    group.bench_function("read-pace-can", |b| {
        b.iter(|| {
            card.reset().unwrap();
            reader::read(
                &mut card,
                &AccessKey::Can(SecretString::from(SAMPLE_CAN)),
                limits.read,
            )
            .unwrap()
        })
    });
    group.finish();
}

/// Has the stack's card feeder put a blank card on the reader and waits until pcscd shows it.
#[cfg(feature = "pcsc")]
fn present_blank(glob: &str) {
    use permitkit_devices::card_feeder::{CardFeeder, FeederRequest, Present};
    use permitkit_devices::reader_pcsc::PcscCard;
    use std::time::Duration;
    let dir = std::env::var("PERMITKIT_CARD_FEEDER").unwrap();
    let feeder = CardFeeder::open(std::path::Path::new(&dir)).unwrap();
    let before = feeder.in_reader().unwrap();
    feeder
        .request(&FeederRequest::Present(Present::Blank))
        .unwrap();
    let mut now = before.clone();
    for _ in 0..200 {
        now = feeder.in_reader().unwrap();
        if !feeder.request_pending() && now.is_some() && now != before {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let serial = now.expect("the feeder put a card on the reader");
    for _ in 0..100 {
        if let Ok(mut card) = PcscCard::open(glob, Duration::from_secs(1))
            && permitkit_chip::identity::read_serial(&mut card, ChipSerialSource::GpCplc)
                .is_ok_and(|s| s == serial)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("pcscd never showed the blank card {serial}");
}

#[cfg(not(feature = "pcsc"))]
fn through_pcscd(_: &mut Criterion) {}

criterion_group!(benches, in_process, through_pcscd);
criterion_main!(benches);
