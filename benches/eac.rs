//! A full inspection read of a locked card whose DG3 is behind Extended Access Control (ICAO
//! Doc 9303-11 §7.1): PACE-CAM (brainpoolP256r1, AES-128) with the CAN, EF.CardSecurity, EF.COM,
//! EF.SOD, DG14, Chip Authentication with the DG14 key, Terminal Authentication (DV + IS
//! certificates, challenge, signature), then every data group, DG3 (two fingers) included — in
//! process against the virtual chip and, when run inside `.ci/pcsc-stack`
//! (PERMITKIT_PCSC_STACK=1, feature `pcsc`), through pcscd and vpcd:
//!
//! ```sh
//! cargo bench --bench eac
//! cargo build --release --features pcsc --bin permitkit && \
//!   PERMITKIT_BIN=target/release/permitkit .ci/pcsc-stack cargo bench --features pcsc --bench eac
//! ```
//! The APDU count, the bytes each way and the ISO/IEC 14443 transfer estimate of one read
//! (`permitkit_chip::perso::estimate_contactless`) are printed once per channel.
#![expect(
    clippy::unwrap_used,
    reason = "benchmark code: an unexpected value fails loudly"
)]

use criterion::{Criterion, criterion_group, criterion_main};

use permitkit_chip::channel::{CardChannel, Counting};
use permitkit_chip::files::ReadLimits;
use permitkit_chip::identity::ChipSerialSource;
use permitkit_chip::journal::MemoryJournal;
use permitkit_chip::perso::{
    self, Dialect, FileAccessRules, LockPermission, PersoInput, PersoLimits, PersoOptions,
};
use permitkit_chip::reader::{self, AccessKey};
use permitkit_chip::ta::Terminal;
use permitkit_lds::{ChipImage, Ef};
use permitkit_model::secret::SecretString;
use permitkit_pki::test_pki::{TestPki, TestPkiOptions};
use permitkit_simulator::{Card, CardConfig};

#[path = "../tests/support/eac_ta.rs"]
mod eac_image;

fn personalize(channel: &mut dyn CardChannel, image: &ChipImage, limits: PersoLimits) {
    let options = PersoOptions {
        dialect: Dialect::PermitkitV1,
        file_access: FileAccessRules::EMRTD,
        chip_serial: ChipSerialSource::GpCplc,
        limits,
        lock: Some(LockPermission::irreversible()),
        verifier: None,
    };
    perso::personalize(
        channel,
        &PersoInput::try_from(image).unwrap(),
        &options,
        &mut MemoryJournal::new(),
        &mut |_| {},
    )
    .unwrap();
}

/// One full read with Terminal Authentication; checks DG3 came.
fn read(channel: &mut dyn CardChannel, terminal: &Terminal, limits: ReadLimits) {
    channel.reset().unwrap();
    let c = reader::read_with_terminal(
        channel,
        &AccessKey::Can(SecretString::from(eac_image::CAN)),
        limits,
        Some(terminal),
    )
    .unwrap();
    assert!(c.terminal_authentication.is_granted());
    assert!(c.files.iter().any(|(ef, _)| *ef == Ef::DG3));
}

/// Prints the traffic of one read.
fn report(label: &str, channel: &mut dyn CardChannel, terminal: &Terminal, limits: ReadLimits) {
    let mut counting = Counting::new(&mut *channel);
    let started = std::time::Instant::now();
    read(&mut counting, terminal, limits);
    let wall = started.elapsed();
    let stats = counting.stats();
    let at_424 = perso::estimate_contactless(&stats, 0)
        .into_iter()
        .find(|e| e.kbit_s == 424)
        .map_or(0.0, |e| e.seconds);
    eprintln!(
        "{label}: full read with PACE-CAM + CA + TA + DG3: {} APDUs, {} bytes sent, {} received, \
         {:.1} ms wall (one run), estimated {:.0} ms over the air at 424 kbit/s",
        stats.commands,
        stats.bytes_sent,
        stats.bytes_received,
        wall.as_secs_f64() * 1e3,
        at_424 * 1e3
    );
}

fn setup() -> (TestPki, ChipImage, Terminal) {
    let pki = TestPki::generate(&TestPkiOptions::default()).unwrap();
    let eac = pki.eac.as_ref().unwrap();
    let image = eac_image::image(&pki, &eac.cvca.certificate);
    let terminal = Terminal {
        certificates: eac.terminal_chain(false),
        signer: Box::new(
            permitkit_cvc::FileKey::from_pkcs8_der(&eac.is.key.to_pkcs8_der().unwrap()).unwrap(),
        ),
    };
    (pki, image, terminal)
}

fn in_process(c: &mut Criterion) {
    let (_pki, image, terminal) = setup();
    let limits = PersoLimits::new(65_535, 65_536, 65_535);
    let mut card = Card::new(CardConfig::default());
    personalize(&mut card, &image, limits);
    report("in process", &mut card, &terminal, limits.read);
    let mut group = c.benchmark_group("eac in process");
    group.sample_size(20);
    group.bench_function("read-pace-cam-ca-ta-dg3", |b| {
        b.iter(|| read(&mut card, &terminal, limits.read))
    });
    group.finish();
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
    // The stack's card feeder starts with a blank card on the reader.
    let mut card = PcscCard::open(&glob, Duration::from_secs(10)).unwrap();
    let limits = PersoLimits::from_profiles(&chip, registry.reader_for_name(card.reader_name()));
    let (_pki, image, terminal) = setup();
    personalize(&mut card, &image, limits);
    report("pcscd+vpcd", &mut card, &terminal, limits.read);
    let mut group = c.benchmark_group("eac pcscd+vpcd");
    group.sample_size(10);
    group.bench_function("read-pace-cam-ca-ta-dg3", |b| {
        b.iter(|| read(&mut card, &terminal, limits.read))
    });
    group.finish();
}

#[cfg(not(feature = "pcsc"))]
fn through_pcscd(_: &mut Criterion) {}

criterion_group!(benches, in_process, through_pcscd);
criterion_main!(benches);
