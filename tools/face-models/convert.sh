#!/usr/bin/env bash
# Rebuilds models/mediapipe/*.onnx from the MediaPipe 0.10.14 wheel on PyPI (Apache-2.0) and
# checks each against the TFLite reference interpreter. Conversion-time only: nothing here is
# needed to build or run permitkit, which embeds the committed ONNX files.
#
#   tools/face-models/convert.sh [WORKDIR]
#
# Needs python3 with pip and access to PyPI. Prints the sha256 of every input and output; they
# must equal models/mediapipe/SOURCES (the conversion is deterministic).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${1:-$(mktemp -d)}"
wheel=mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
wheel_sha=a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q tflite==2.18.0 onnx==1.23.2 numpy==2.4.6 \
    onnxruntime==1.32.0 ai-edge-litert==2.3.0 pillow
"$work/venv/bin/pip" download -q --no-deps --only-binary :all: --python-version 3.11 \
    --platform manylinux2014_x86_64 mediapipe==0.10.14 -d "$work"
echo "$wheel_sha  $work/$wheel" | sha256sum -c -
(cd "$work" && python3 -m zipfile -e "$wheel" unpacked >/dev/null)
m="$work/unpacked/mediapipe/modules"
for pair in face_landmark/face_landmark iris_landmark/iris_landmark; do
    name="$(basename "$pair")"
    "$work/venv/bin/python" "$here/tflite_to_onnx.py" "$m/$pair.tflite" "$work/$name.onnx"
    "$work/venv/bin/python" "$here/verify.py" "$m/$pair.tflite" "$work/$name.onnx" \
        "$root/testdata/images/astronaut.png"
    sha256sum "$m/$pair.tflite" "$work/$name.onnx"
done
echo "converted models in $work; copy them to $root/models/mediapipe/ if the hashes changed"
