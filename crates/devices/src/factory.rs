//! The station's devices, opened when a step needs them (ARCHITECTURE.md §4, §5).
//!
//! Each device slot of a station profile is resolved once, when the station opens, into a typed
//! selector together with the device profile named beside it and its timeout ([`DeviceSlots`]):
//! a bad selector or a dangling profile is an error then, not in the middle of an enrolment.
//! A [`DeviceFactory`] opens a resolved slot, the way probe-rs opens a probe from an
//! already-parsed selector. [`SelectorFactory`] opens what the selectors name (simulators,
//! replay and the backends compiled in); tests inject factories of scripted fakes so that whole
//! enrolments, failures included, run in process.

use std::{path::PathBuf, str::FromStr, time::Duration};

use crate::CaptureError;
use crate::camera::{self, Camera, CameraSelector};
use crate::card_feeder::{CardFeeder, Present};
use crate::card_reader::{
    CardReader, CardReaderError, ReaderSelector, VIRTUAL_CHIP_PROFILE, VirtualReader,
};
use crate::scanner::{self, FingerprintScanner, ScannerSelector};
use crate::signature_pad::{self, EndRule, PadSelector, SignaturePad};
use permitkit_model::profiles::{
    ProfileError, ReaderProfile, Registry, camera::CameraProfile, scanner::ScannerProfile,
    signature_pad::SignaturePadProfile, station::DeviceSlot, station::StationProfile,
};
use permitkit_model::selector::SelectorError;

/// The station's camera: selector, profile (mode, controls, smallest face) and capture timeout.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraSlot {
    /// Which camera.
    pub selector: CameraSelector,
    /// Its profile, when the station names one.
    pub profile: Option<CameraProfile>,
    /// How long a live capture may take.
    pub timeout: Duration,
}

impl CameraSlot {
    /// The smallest face worth assessing, in full-resolution pixels (0: the quality profile's).
    pub fn min_face_px(&self) -> f32 {
        self.profile.as_ref().map_or(0.0, |c| c.min_face_px as f32)
    }
}

/// The station's fingerprint scanner: selector, profile (resolution, quality policy) and the
/// time to wait for a finger.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannerSlot {
    /// Which scanner.
    pub selector: ScannerSelector,
    /// Its profile, when the station names one.
    pub profile: Option<ScannerProfile>,
    /// How long one capture waits for the finger.
    pub timeout: Duration,
}

/// The station's signature pad: selector, profile (end rule) and the time to wait for the pen.
#[derive(Debug, Clone, PartialEq)]
pub struct SignaturePadSlot {
    /// Which pad.
    pub selector: PadSelector,
    /// Its profile, when the station names one.
    pub profile: Option<SignaturePadProfile>,
    /// How long to wait for the pen to touch the pad.
    pub timeout: Duration,
}

impl SignaturePadSlot {
    /// How the pad decides that a started signature is complete: the profile's rule (idle time,
    /// end button), or the default rule when the station names no profile.
    pub fn end_rule(&self) -> EndRule {
        self.profile
            .as_ref()
            .map_or_else(EndRule::default, SignaturePadProfile::end_rule)
    }
}

/// The station's card reader: selector, profile (APDU sizes) and the time to wait for a card.
#[derive(Debug, Clone)]
pub struct CardReaderSlot {
    /// Which reader.
    pub selector: ReaderSelector,
    /// Its profile, when the station names one (otherwise matched by the PC/SC name).
    pub profile: Option<ReaderProfile>,
    /// How long to wait for a card.
    pub timeout: Duration,
}

/// Every device of a station, resolved.
#[derive(Debug, Clone)]
pub struct DeviceSlots {
    /// The camera.
    pub camera: CameraSlot,
    /// The fingerprint scanner.
    pub scanner: ScannerSlot,
    /// The signature pad.
    pub signature_pad: SignaturePadSlot,
    /// The contactless card reader.
    pub card_reader: CardReaderSlot,
}

impl DeviceSlots {
    /// Resolves the device slots of `station`: each selector parsed, each profile id looked up
    /// in `registry`. A problem names the station file and the field.
    pub fn resolve(station: &StationProfile, registry: &Registry) -> Result<Self, ProfileError> {
        let file = format!("stations/{}.toml", station.id);
        let c = &station.camera;
        let s = &station.scanner;
        let p = &station.signature_pad;
        let r = &station.card_reader;
        Ok(Self {
            camera: CameraSlot {
                selector: selector(&file, "camera", c)?,
                profile: lookup(c, |id| registry.camera(id))?,
                timeout: timeout(&file, "camera", c)?,
            },
            scanner: ScannerSlot {
                selector: selector(&file, "scanner", s)?,
                profile: lookup(s, |id| registry.scanner(id))?,
                timeout: timeout(&file, "scanner", s)?,
            },
            signature_pad: SignaturePadSlot {
                selector: selector(&file, "signature_pad", p)?,
                profile: lookup(p, |id| registry.signature_pad(id))?,
                timeout: timeout(&file, "signature_pad", p)?,
            },
            card_reader: CardReaderSlot {
                selector: selector(&file, "card_reader", r)?,
                profile: lookup(r, |id| registry.reader(id))?,
                timeout: timeout(&file, "card_reader", r)?,
            },
        })
    }
}

/// The slot's selector, parsed; a problem names `<name>.selector` of `file`.
fn selector<S: FromStr<Err = SelectorError>>(
    file: &str,
    name: &str,
    slot: &DeviceSlot,
) -> Result<S, ProfileError> {
    slot.selector
        .parse()
        .map_err(|e: SelectorError| ProfileError {
            file: file.to_owned(),
            field: format!("{name}.selector"),
            reason: e.reason,
        })
}

/// The slot's timeout; a problem names `<name>.timeout_seconds` of `file`.
fn timeout(file: &str, name: &str, slot: &DeviceSlot) -> Result<Duration, ProfileError> {
    Duration::try_from_secs_f64(slot.timeout_seconds).map_err(|e| ProfileError {
        file: file.to_owned(),
        field: format!("{name}.timeout_seconds"),
        reason: e.to_string(),
    })
}

/// The profile the slot names, looked up with `find`.
fn lookup<'r, P: Clone + 'r>(
    slot: &DeviceSlot,
    find: impl FnOnce(&str) -> Result<&'r P, ProfileError>,
) -> Result<Option<P>, ProfileError> {
    slot.profile
        .as_deref()
        .map(|id| find(id).cloned())
        .transpose()
}

/// Opens the station's devices. The enrollment pipeline asks for a device when a step needs
/// it and drops it when the step ends.
pub trait DeviceFactory {
    /// Opens the camera of `slot`.
    fn camera(&mut self, slot: &CameraSlot) -> Result<Box<dyn Camera>, CaptureError>;

    /// Opens the fingerprint scanner of `slot`.
    fn scanner(&mut self, slot: &ScannerSlot) -> Result<Box<dyn FingerprintScanner>, CaptureError>;

    /// Opens the signature pad of `slot`, ending signatures by the slot's end rule.
    fn signature_pad(
        &mut self,
        slot: &SignaturePadSlot,
    ) -> Result<Box<dyn SignaturePad>, CaptureError>;

    /// Opens the card reader of `slot` and waits for a card.
    fn card_reader(&mut self, slot: &CardReaderSlot) -> Result<CardReader, CardReaderError>;
}

/// The factory that opens what the selectors name: the simulators, replay devices and the
/// hardware backends compiled in.
#[derive(Debug, Clone)]
pub struct SelectorFactory {
    registry: Registry,
    card: VirtualCard,
    card_pull_after: Option<u64>,
}

/// Where the `sim` card reader's card comes from.
#[derive(Debug, Clone)]
enum VirtualCard {
    /// A blank card in memory, lost when the reader closes.
    Memory,
    /// The one card kept in this state file.
    StateFile(PathBuf),
    /// The card feeder, which puts `next` on the reader at the next opening (then the same
    /// card again).
    Feeder {
        /// The feeder.
        feeder: CardFeeder,
        /// What it presents at the next opening.
        next: Present,
    },
}

impl SelectorFactory {
    /// A factory resolving chip and reader profiles in `registry`.
    pub fn new(registry: Registry) -> Self {
        Self {
            registry,
            card: VirtualCard::Memory,
            card_pull_after: None,
        }
    }

    /// The virtual chip (`sim` card reader) is loaded from and saved to `path`, so that a card
    /// survives between runs: always the same one card.
    pub fn with_card_state(mut self, path: Option<PathBuf>) -> Self {
        self.card = path.map_or(VirtualCard::Memory, VirtualCard::StateFile);
        self
    }

    /// The virtual chips come from `feeder`, which presents `first` when the reader is first
    /// opened (a new enrolment: [`Present::Blank`]; resuming: [`Present::Same`]; a drill card),
    /// then the same card at every later opening.
    pub fn with_card_feeder(mut self, feeder: CardFeeder, first: Present) -> Self {
        self.card = VirtualCard::Feeder {
            feeder,
            next: first,
        };
        self
    }

    /// The card feeder, when the virtual cards come from one.
    pub fn card_feeder(&self) -> Option<&CardFeeder> {
        match &self.card {
            VirtualCard::Feeder { feeder, .. } => Some(feeder),
            _ => None,
        }
    }

    /// Fault drill: the virtual chip leaves the field after `commands` commands, as a card
    /// pulled in the middle of personalization does. Ignored for real readers.
    pub fn with_card_pull_after(mut self, commands: Option<u64>) -> Self {
        self.card_pull_after = commands;
        self
    }
}

impl DeviceFactory for SelectorFactory {
    fn camera(&mut self, slot: &CameraSlot) -> Result<Box<dyn Camera>, CaptureError> {
        camera::open(&slot.selector.to_string(), slot.profile.as_ref())
    }

    fn scanner(&mut self, slot: &ScannerSlot) -> Result<Box<dyn FingerprintScanner>, CaptureError> {
        scanner::open(&slot.selector.to_string(), slot.timeout)
    }

    fn signature_pad(
        &mut self,
        slot: &SignaturePadSlot,
    ) -> Result<Box<dyn SignaturePad>, CaptureError> {
        signature_pad::open(&slot.selector.to_string(), slot.end_rule())
    }

    fn card_reader(&mut self, slot: &CardReaderSlot) -> Result<CardReader, CardReaderError> {
        let mut reader = match (&slot.selector, &mut self.card) {
            (ReaderSelector::Sim, VirtualCard::Feeder { feeder, next }) => {
                let config = permitkit_simulator::CardConfig::from_profile(
                    self.registry.chip(VIRTUAL_CHIP_PROFILE)?,
                );
                let (card, path) = feeder.present(next, config)?;
                *next = Present::Same;
                CardReader::new(Box::new(VirtualReader::new(card, Some(path))))
            }
            (selector, card) => {
                let state = match (selector, card) {
                    (ReaderSelector::Sim, VirtualCard::StateFile(p)) => Some(p.as_path()),
                    _ => None,
                };
                CardReader::open_selector(
                    selector,
                    slot.profile.as_ref(),
                    state,
                    &self.registry,
                    slot.timeout,
                )?
            }
        };
        if let (Some(n), Some(card)) = (self.card_pull_after, reader.as_sim_card()) {
            card.faults_mut().drop_after(n);
        }
        Ok(reader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use permitkit_model::profiles::builtin;

    fn simulated() -> (StationProfile, Registry) {
        let registry = Registry::builtin().unwrap();
        (registry.station("simulated").unwrap().clone(), registry)
    }

    #[test]
    fn the_simulated_station_resolves_to_simulators_with_their_profiles() {
        let (station, registry) = simulated();
        let slots = DeviceSlots::resolve(&station, &registry).unwrap();
        assert_eq!(slots.camera.selector, CameraSelector::Sim(String::new()));
        assert_eq!(slots.scanner.selector, ScannerSelector::Sim { seed: 0 });
        assert_eq!(slots.scanner.profile.as_ref().unwrap().id, "simulator");
        assert_eq!(
            slots.signature_pad.profile.as_ref().unwrap().id,
            "simulator"
        );
        assert_eq!(slots.card_reader.selector, ReaderSelector::Sim);
        assert_eq!(slots.scanner.timeout, Duration::from_secs(20));
    }

    #[test]
    fn a_dangling_profile_or_bad_selector_names_its_field() {
        let (mut station, registry) = simulated();
        station.scanner.profile = Some("no-such-scanner".into());
        let e = DeviceSlots::resolve(&station, &registry).unwrap_err();
        assert!(e.to_string().contains("no-such-scanner"), "{e}");
        let (mut station, registry) = simulated();
        station.card_reader.selector = "usb:1".into();
        let e = DeviceSlots::resolve(&station, &registry).unwrap_err();
        assert_eq!(e.field, "card_reader.selector", "{e}");
        assert_eq!(e.file, "stations/simulated.toml");
    }

    #[test]
    fn the_pad_profile_sets_the_end_rule() {
        let (station, registry) = simulated();
        let mut slots = DeviceSlots::resolve(&station, &registry).unwrap();
        let wacom = builtin::load::<SignaturePadProfile>("wacom-one-by-wacom-s").unwrap();
        slots.signature_pad.profile = Some(wacom.clone());
        assert_eq!(slots.signature_pad.end_rule(), wacom.end_rule());
        assert!(slots.signature_pad.end_rule().button.is_some());
        slots.signature_pad.profile = None;
        assert_eq!(slots.signature_pad.end_rule(), EndRule::default());
    }

    #[test]
    fn the_feeder_presents_a_fresh_card_first_then_the_same_card() {
        let (station, registry) = simulated();
        let slots = DeviceSlots::resolve(&station, &registry).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let feeder = CardFeeder::open(dir.path()).unwrap();
        let serial = |reader: &mut CardReader| reader.as_sim_card().unwrap().serial();
        let mut first =
            SelectorFactory::new(registry.clone()).with_card_feeder(feeder.clone(), Present::Blank);
        let mut a = first.card_reader(&slots.card_reader).unwrap();
        let a_serial = serial(&mut a);
        a.finish().unwrap();
        assert_eq!(
            serial(&mut first.card_reader(&slots.card_reader).unwrap()),
            a_serial
        );
        // A new enrolment (a new factory) takes a new blank card; resuming takes the same.
        let mut second =
            SelectorFactory::new(registry.clone()).with_card_feeder(feeder.clone(), Present::Blank);
        let b_serial = serial(&mut second.card_reader(&slots.card_reader).unwrap());
        assert_ne!(a_serial, b_serial);
        let mut resume = SelectorFactory::new(registry).with_card_feeder(feeder, Present::Same);
        assert_eq!(
            serial(&mut resume.card_reader(&slots.card_reader).unwrap()),
            b_serial
        );
    }

    #[test]
    fn the_selector_factory_opens_simulators_and_arms_the_card_drill() {
        let (station, registry) = simulated();
        let slots = DeviceSlots::resolve(&station, &registry).unwrap();
        let mut factory = SelectorFactory::new(registry).with_card_pull_after(Some(0));
        assert_eq!(
            factory.camera(&slots.camera).unwrap().info().backend,
            "simulator"
        );
        assert!(factory.scanner(&slots.scanner).is_ok());
        assert!(factory.signature_pad(&slots.signature_pad).is_ok());
        let mut reader = factory.card_reader(&slots.card_reader).unwrap();
        let select = permitkit_iso7816::apdu::CommandApdu::new(0x00, 0xA4, 0x00, 0x0C);
        assert!(
            reader.channel().transmit(&select).is_err(),
            "the drilled card has left the field"
        );
    }
}
