//! One PKCS #11 context per module per process (PKCS #11 v2.40 §5.4: `C_Initialize` once per
//! application; a second call is `CKR_CRYPTOKI_ALREADY_INITIALIZED`, and SoftHSM2 corrupts its
//! state when two threads initialize it at once). The registry is process-wide, keyed by the
//! module's canonical path, and holds the lock while a module initializes; a module stays
//! loaded and initialized until the process ends.
//!
//! Tokens are found by the URI's token and slot attributes (RFC 7512 §2.5: every attribute the
//! URI gives must match; one it does not give matches anything), and exactly one must match.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, OnceLock},
};

use cryptoki::{
    context::{CInitializeArgs, CInitializeFlags, Pkcs11},
    error::{Error, RvError},
    mechanism::MechanismType,
    session::{Session, UserType},
    slot::Slot,
    types::AuthPin,
};

use super::{Pin, Pkcs11Error, Pkcs11Uri};

/// A loaded and initialized PKCS #11 module.
pub struct Module {
    path: PathBuf,
    context: Pkcs11,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Module({})", self.path.display())
    }
}

fn registry() -> &'static Mutex<HashMap<PathBuf, Arc<Module>>> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Arc<Module>>>> = OnceLock::new();
    MODULES.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Module {
    /// The module at `path`, loaded and initialized on first use in this process.
    pub fn load(path: &Path) -> Result<Arc<Self>, Pkcs11Error> {
        let canonical = path
            .canonicalize()
            .map_err(|source| Pkcs11Error::ModuleFile {
                path: path.to_path_buf(),
                source,
            })?;
        let mut modules = registry().lock().map_err(|_| Pkcs11Error::Poisoned)?;
        if let Some(m) = modules.get(&canonical) {
            return Ok(Arc::clone(m));
        }
        let load = |source| Pkcs11Error::Load {
            path: canonical.clone(),
            source,
        };
        let context = Pkcs11::new(&canonical).map_err(load)?;
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(load(e)),
        }
        let module = Arc::new(Self {
            path: canonical.clone(),
            context,
        });
        modules.insert(canonical, Arc::clone(&module));
        Ok(module)
    }

    /// The module named by `given`, or else by the URI's `module-path`.
    pub fn for_uri(given: Option<&Path>, uri: &Pkcs11Uri) -> Result<Arc<Self>, Pkcs11Error> {
        match (given, &uri.module_path) {
            (Some(p), _) => Self::load(p),
            (None, Some(p)) => Self::load(Path::new(p)),
            (None, None) => Err(Pkcs11Error::NoModule),
        }
    }

    /// The module's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn context(&self) -> &Pkcs11 {
        &self.context
    }

    /// The one slot whose token the URI names.
    pub fn find_slot(&self, uri: &Pkcs11Uri) -> Result<Slot, Pkcs11Error> {
        if let Some(name) = uri.unrecognized() {
            return Err(Pkcs11Error::UnrecognizedAttribute(name.to_owned()));
        }
        let shown = uri.to_string();
        let not_found = |tokens: usize, seen: String| Pkcs11Error::TokenNotFound {
            uri: shown.clone(),
            tokens,
            seen,
        };
        let slots = self
            .context
            .get_slots_with_token()
            .map_err(Pkcs11Error::token("C_GetSlotList"))?;
        let mut labels = Vec::new();
        if !self.library_matches(uri)? {
            return Err(not_found(slots.len(), "the library does not match".into()));
        }
        let mut matching = Vec::new();
        for slot in slots {
            let token = self
                .context
                .get_token_info(slot)
                .map_err(Pkcs11Error::token("C_GetTokenInfo"))?;
            labels.push(format!("{:?}", token.label()));
            let info = self
                .context
                .get_slot_info(slot)
                .map_err(Pkcs11Error::token("C_GetSlotInfo"))?;
            let same = |want: &Option<String>, have: &str| want.as_ref().is_none_or(|w| w == have);
            if same(&uri.token, token.label())
                && same(&uri.manufacturer, token.manufacturer_id())
                && same(&uri.serial, token.serial_number())
                && same(&uri.model, token.model())
                && same(&uri.slot_description, info.slot_description())
                && same(&uri.slot_manufacturer, info.manufacturer_id())
                && uri.slot_id.is_none_or(|id| id == slot.id())
            {
                matching.push(slot);
            }
        }
        match matching.as_slice() {
            [one] => Ok(*one),
            [] => Err(not_found(labels.len(), labels.join(", "))),
            many => Err(Pkcs11Error::AmbiguousToken {
                uri: shown,
                count: many.len(),
            }),
        }
    }

    fn library_matches(&self, uri: &Pkcs11Uri) -> Result<bool, Pkcs11Error> {
        if uri.library_manufacturer.is_none()
            && uri.library_description.is_none()
            && uri.library_version.is_none()
        {
            return Ok(true);
        }
        let info = self
            .context
            .get_library_info()
            .map_err(Pkcs11Error::token("C_GetInfo"))?;
        let version = info.library_version();
        Ok(uri
            .library_manufacturer
            .as_ref()
            .is_none_or(|m| m == info.manufacturer_id())
            && uri
                .library_description
                .as_ref()
                .is_none_or(|d| d == info.library_description())
            && uri
                .library_version
                .is_none_or(|v| v.major == version.major() && v.minor == version.minor()))
    }

    /// Fails unless the token in `slot` offers `mechanism` (`C_GetMechanismInfo`, asked for
    /// that one mechanism: the full list names vendor mechanisms `cryptoki` logs as unknown).
    pub(super) fn require_mechanism(
        &self,
        slot: Slot,
        mechanism: MechanismType,
        name: &'static str,
    ) -> Result<(), Pkcs11Error> {
        match self.context.get_mechanism_info(slot, mechanism) {
            Ok(_) => Ok(()),
            Err(Error::Pkcs11(RvError::MechanismInvalid, _)) => {
                Err(Pkcs11Error::MechanismUnsupported(name))
            }
            Err(e) => Err(Pkcs11Error::token("C_GetMechanismInfo")(e)),
        }
    }

    /// Opens a session on `slot` and logs the user in (a no-op when this process is logged in
    /// to the token already: login is per application and token, §5.6).
    pub(super) fn login(&self, slot: Slot, pin: &Pin, rw: bool) -> Result<Session, Pkcs11Error> {
        let session = if rw {
            self.context.open_rw_session(slot)
        } else {
            self.context.open_ro_session(slot)
        }
        .map_err(Pkcs11Error::token("C_OpenSession"))?;
        let auth = AuthPin::from(pin.expose().to_owned());
        match session.login(UserType::User, Some(&auth)) {
            Ok(()) | Err(Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
            Err(Error::Pkcs11(RvError::PinIncorrect, _)) => Err(Pkcs11Error::PinIncorrect),
            Err(Error::Pkcs11(RvError::PinLocked, _)) => Err(Pkcs11Error::PinLocked),
            Err(e) => Err(Pkcs11Error::token("C_Login")(e)),
        }
    }
}
