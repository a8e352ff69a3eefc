"""NextFlow model code: configurations, scale schedules and the VQ tokenizer.

Importing this package registers the classes with transformers' Auto classes in-process, and marks them for
`register_for_auto_class`, so a saved folder carries the code and loads with `trust_remote_code=True`.
"""

from transformers import AutoConfig, AutoModel

from .configuration_nextflow import NextFlowConfig, NextFlowVQConfig, tiny_vq_config
from .modeling_nextflow_vq import (
    NextFlowVQEncoderOutput,
    NextFlowVQModel,
    NextFlowVQModelOutput,
    vision_patch_features,
)
from .scales import (
    PAPER_SCALE_TABLE,
    ScaleScheduleTable,
    get_scale_schedule,
    num_image_tokens,
    scale_loss_weights,
    validate_schedule,
)

AutoConfig.register(NextFlowVQConfig.model_type, NextFlowVQConfig, exist_ok=True)
AutoConfig.register(NextFlowConfig.model_type, NextFlowConfig, exist_ok=True)
AutoModel.register(NextFlowVQConfig, NextFlowVQModel, exist_ok=True)
NextFlowVQConfig.register_for_auto_class()
NextFlowConfig.register_for_auto_class()
NextFlowVQModel.register_for_auto_class("AutoModel")

__all__ = [
    "PAPER_SCALE_TABLE",
    "NextFlowConfig",
    "NextFlowVQConfig",
    "NextFlowVQEncoderOutput",
    "NextFlowVQModel",
    "NextFlowVQModelOutput",
    "ScaleScheduleTable",
    "get_scale_schedule",
    "num_image_tokens",
    "scale_loss_weights",
    "tiny_vq_config",
    "validate_schedule",
    "vision_patch_features",
]
