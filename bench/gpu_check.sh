#!/usr/bin/env bash
# The GPU check of the Chatterbox family: per model (Original, Turbo, Multilingual) and precision
# (fp32, low-VRAM), the load time, peak VRAM, VRAM after unload, RTF for 10 s of audio (250 speech
# tokens) and T3 ms/token against the memory-bandwidth floor (bench/chatterbox_engine.py), on
# random-weight checkpoints built on the machine. Meant to finish in under 8 minutes on one GPU.
#
#   bash bench/gpu_check.sh --fetch   # here: download the wheels a GPU image lacks into .whl/
#   bash bench/gpu_check.sh           # on the GPU machine: install .whl/, build, measure
#
# The GPU machine has torch, transformers, safetensors and numpy but cannot reach the package
# index, so chatterbox-tts (without its torch 2.6.0 pin) and the libraries it needs travel as
# wheels. The report goes to $OUT/gpu_check.md (or bench/gpu_check.md) for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS=(
    chatterbox-tts==0.1.7 librosa==0.11.0 s3tokenizer diffusers==0.29.0 resemble-perth
    conformer==0.3.2 pykakasi==2.3.0 pyloudnorm omegaconf antlr4-python3-runtime==4.9.3
    soundfile soxr audioread pooch platformdirs msgpack pydantic pydantic-core
    pydantic-settings python-dotenv typing-inspection annotated-types av audiostretchy pysbd
    num2words docopt
)

if [ "${1:-}" = "--fetch" ]; then
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 --platform any -d .whl "${WHEELS[@]}"
    du -sh .whl
    exit 0
fi

started=$(date +%s)
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH="/tmp/site:$PWD"
else
    export PYTHONPATH="$PWD"
fi
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
out="${OUT:-bench}/gpu_check.md"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out"
for model in original turbo multilingual; do
    python3 -m studio_tools.make_test_checkpoint --model "$model" >/dev/null
done
python3 bench/chatterbox_engine.py --device cuda --tokens 25 250 --modes off on \
    --models original turbo multilingual 2>&1 | tee -a "$out"
echo "gpu_check: $(( $(date +%s) - started )) s in all" | tee -a "$out"
