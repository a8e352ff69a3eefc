# Sourced by every GPU job: installs the carried wheels (../shared/tools/device-wheels.sh fills .whl/) and puts
# them and this checkout's src/ on the path. Run from the repository root on the lent machine.
[[ -d /tmp/site ]] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, transformers, datasets, diffusers; print('torch', torch.__version__, 'transformers', \
transformers.__version__, 'datasets', datasets.__version__, 'diffusers', diffusers.__version__)"
