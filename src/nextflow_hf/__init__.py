"""nextflow-hf: NextFlow (arXiv 2601.02204), one decoder-only transformer for text and images, on Hugging Face."""

from .modeling import (
    NextFlowConfig,
    NextFlowForConditionalGeneration,
    NextFlowVQConfig,
    NextFlowVQModel,
    get_scale_schedule,
    num_image_tokens,
    scale_loss_weights,
)

__version__ = "0.1.0"

__all__ = [
    "NextFlowConfig",
    "NextFlowForConditionalGeneration",
    "NextFlowVQConfig",
    "NextFlowVQModel",
    "get_scale_schedule",
    "num_image_tokens",
    "scale_loss_weights",
]
