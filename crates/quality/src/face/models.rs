//! The neural model behind the facial landmarks (ISO/IEC 29794-5 asks for landmarks for most
//! components; `docs/spec/biometric-formats.md` §3): MediaPipe's face mesh (468 points), run in
//! pure Rust by `tract-onnx`.
//!
//! # The models, and why they are committed
//! `models/mediapipe/face_landmark.onnx` is converted from the TFLite file that the `mediapipe` 0.10.14 wheel on PyPI ships (Apache-2.0, © Google LLC; licence,
//! package, version, file and SHA-256 in `models/mediapipe/SOURCES`) by
//! `tools/face-models/convert.sh`, which also compares every output with the TFLite reference
//! interpreter. It is embedded with `include_bytes!`: nothing is downloaded at build or run
//! time, and no native runtime is linked.
//!
//! # Loading
//! [`ModelSet::embedded`] parses, type-checks and optimises the graph once per process
//! (`into_optimized`, `into_runnable`) behind a `OnceLock`; every assessor then shares the
//! runnable plan, which is immutable and thread-safe (each run makes its own state).
//! [`ModelSet::from_onnx`] loads a replacement (same input and outputs) from bytes, e.g. read
//! from a path.
//!
//! MediaPipe's iris model (also converted and checked by the tool) is not used: on one core it
//! costs about 10 ms per eye under tract, twice the whole rest of the assessment; the eye
//! centres come from the mesh's eye contours refined by the gradient method instead
//! ([`super::landmarks`]).

use std::sync::OnceLock;

use tract_onnx::prelude::{
    Datum, Framework, InferenceFact, InferenceModelExt, Tensor, TractResult, TypedModel,
    TypedRunnableModel, tvec,
};

use super::{FaceError, ModelError};

/// The name the mesh model's errors carry.
const MESH: &str = "face mesh model";

fn mesh_error(stage: &str, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> FaceError {
    ModelError::new(MESH, stage, Some(e.into())).into()
}

/// The face mesh model (input 1×3×192×192 RGB in [0, 1]; outputs 468 × (x, y, z) in input
/// pixels and a face-presence logit).
pub const MESH_MODEL: &[u8] = include_bytes!("../../../../models/mediapipe/face_landmark.onnx");

/// SHA-256 of [`MESH_MODEL`] (`models/mediapipe/SOURCES`).
pub const MESH_SHA256: &str = "58f9fcca22f7b6084ffaf7d9dce055bcb90b017b7ac42075b29e442be256b22d";

/// Side of the mesh model's square input.
pub const MESH_SIDE: usize = 192;

/// Number of mesh landmarks.
pub const MESH_POINTS: usize = 468;

type Plan = TypedRunnableModel<TypedModel>;

/// The loaded, optimised models.
pub struct ModelSet {
    mesh: Plan,
    load_ms: f64,
}

impl std::fmt::Debug for ModelSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSet")
            .field("load_ms", &self.load_ms)
            .finish_non_exhaustive()
    }
}

/// Output of the mesh model: points in input pixels and the face-presence probability.
#[derive(Debug, Clone)]
pub struct MeshOutput {
    /// `(x, y, z)` per landmark, in the 192 × 192 input's pixels.
    pub points: Vec<[f32; 3]>,
    /// Probability that the input holds a face (sigmoid of the model's logit).
    pub presence: f32,
}

fn plan(bytes: &[u8], side: usize) -> TractResult<Plan> {
    let mut reader = bytes;
    tract_onnx::onnx()
        .model_for_read(&mut reader)?
        .with_input_fact(
            0,
            InferenceFact::dt_shape(f32::datum_type(), [1, 3, side, side]),
        )?
        .into_optimized()?
        .into_runnable()
}

fn points(values: &[f32]) -> Vec<[f32; 3]> {
    values
        .chunks_exact(3)
        .map(|c| match c {
            &[x, y, z] => [x, y, z],
            _ => [0.0; 3],
        })
        .collect()
}

fn run(plan: &Plan, input: Vec<f32>, side: usize) -> Result<Vec<Vec<f32>>, FaceError> {
    let tensor = Tensor::from_shape(&[1, 3, side, side], &input)
        .map_err(|e| mesh_error("input tensor", e))?;
    let outputs = plan
        .run(tvec!(tensor.into()))
        .map_err(|e| mesh_error("run", e))?;
    outputs
        .iter()
        .map(|t| {
            t.as_slice::<f32>()
                .map(<[f32]>::to_vec)
                .map_err(|e| mesh_error("output tensor", e))
        })
        .collect()
}

impl ModelSet {
    /// Loads and optimises a face mesh model from ONNX bytes (e.g. read from a path).
    pub fn from_onnx(mesh: &[u8]) -> Result<Self, FaceError> {
        let start = std::time::Instant::now();
        let mesh = plan(mesh, MESH_SIDE).map_err(|e| mesh_error("load", e))?;
        Ok(Self {
            mesh,
            load_ms: start.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// The embedded models, loaded once per process.
    pub fn embedded() -> Result<&'static ModelSet, FaceError> {
        static CELL: OnceLock<Result<ModelSet, ModelError>> = OnceLock::new();
        CELL.get_or_init(|| {
            ModelSet::from_onnx(MESH_MODEL).map_err(|e| match e {
                FaceError::Model(m) => m,
                other => ModelError::new(MESH, "load", Some(Box::new(other))),
            })
        })
        .as_ref()
        .map_err(|e| FaceError::Model(e.clone()))
    }

    /// Time the parse and optimisation took, milliseconds.
    pub fn load_ms(&self) -> f64 {
        self.load_ms
    }

    /// Runs the mesh model on a planar RGB input (`3 × 192 × 192`, values in [0, 1]).
    pub fn mesh(&self, input: Vec<f32>) -> Result<MeshOutput, FaceError> {
        let out = run(&self.mesh, input, MESH_SIDE)?;
        let (coords, logit) = match out.as_slice() {
            [c, l, ..] => (c, l.first().copied().unwrap_or(f32::NEG_INFINITY)),
            _ => return Err(ModelError::new(MESH, "missing outputs", None).into()),
        };
        let pts = points(coords);
        if pts.len() != MESH_POINTS {
            return Err(ModelError::new(
                MESH,
                format!("{} points, expected {MESH_POINTS}", pts.len()),
                None,
            )
            .into());
        }
        Ok(MeshOutput {
            points: pts,
            presence: 1.0 / (1.0 + (-logit).exp()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_models_are_the_converted_ones_and_load() {
        use sha2::Digest;
        assert_eq!(hex::encode(sha2::Sha256::digest(MESH_MODEL)), MESH_SHA256);
        let m = ModelSet::embedded().unwrap();
        // A flat grey input holds no face.
        let out = m.mesh(vec![0.5; 3 * MESH_SIDE * MESH_SIDE]).unwrap();
        assert_eq!(out.points.len(), MESH_POINTS);
        assert!(out.presence < 0.5, "presence {}", out.presence);
    }

    #[test]
    fn wrong_bytes_are_a_model_error() {
        let Err(FaceError::Model(e)) = ModelSet::from_onnx(b"not onnx") else {
            panic!("not onnx loaded");
        };
        assert_eq!((e.model, e.stage.as_str()), (MESH, "load"));
        assert!(
            std::error::Error::source(&e).is_some(),
            "the runtime's error is kept"
        );
        assert!(matches!(ModelSet::from_onnx(&[]), Err(FaceError::Model(_))));
    }
}
