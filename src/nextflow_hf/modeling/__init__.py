"""NextFlow model code: configurations, scale schedules, the VQ tokenizer, the decoder and the processor.

Importing this package registers the classes with transformers' Auto classes in-process, and marks them for
`register_for_auto_class`, so a saved folder carries the code and loads with `trust_remote_code=True`.
"""

from transformers import (
    AutoConfig,
    AutoImageProcessor,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForImageTextToText,
    AutoProcessor,
)

from .configuration_nextflow import NextFlowConfig, NextFlowVQConfig, shapesworld_vq_config, tiny_vq_config
from .image_processing_nextflow import NextFlowImageProcessor
from .modeling_nextflow import (
    NextFlowCausalLMOutputWithPast,
    NextFlowForConditionalGeneration,
    NextFlowImageGenerationOutput,
    NextFlowInterleavedOutput,
    NextFlowModel,
    NextFlowPreTrainedModel,
)
from .modeling_nextflow_vq import (
    NextFlowVQEncoderOutput,
    NextFlowVQModel,
    NextFlowVQModelOutput,
    vision_patch_features,
)
from .processing_nextflow import NextFlowProcessor
from .scales import (
    PAPER_SCALE_TABLE,
    ScaleScheduleTable,
    get_scale_schedule,
    num_image_tokens,
    scale_loss_weights,
    validate_schedule,
)
from .sequence_layout import IGNORE_INDEX, ImageLayout, find_image_spans, layout_for_grid

AutoConfig.register(NextFlowVQConfig.model_type, NextFlowVQConfig, exist_ok=True)
AutoConfig.register(NextFlowConfig.model_type, NextFlowConfig, exist_ok=True)
AutoModel.register(NextFlowVQConfig, NextFlowVQModel, exist_ok=True)
AutoModel.register(NextFlowConfig, NextFlowModel, exist_ok=True)
AutoModelForCausalLM.register(NextFlowConfig, NextFlowForConditionalGeneration, exist_ok=True)
AutoModelForImageTextToText.register(NextFlowConfig, NextFlowForConditionalGeneration, exist_ok=True)
AutoImageProcessor.register(NextFlowConfig, image_processor_classes={"pil": NextFlowImageProcessor}, exist_ok=True)
AutoProcessor.register(NextFlowConfig, NextFlowProcessor, exist_ok=True)
NextFlowVQConfig.register_for_auto_class()
NextFlowConfig.register_for_auto_class()
NextFlowVQModel.register_for_auto_class("AutoModel")
NextFlowModel.register_for_auto_class("AutoModel")
NextFlowForConditionalGeneration.register_for_auto_class("AutoModelForCausalLM")
NextFlowImageProcessor.register_for_auto_class("AutoImageProcessor")
NextFlowProcessor.register_for_auto_class("AutoProcessor")

__all__ = [
    "IGNORE_INDEX",
    "PAPER_SCALE_TABLE",
    "ImageLayout",
    "NextFlowCausalLMOutputWithPast",
    "NextFlowForConditionalGeneration",
    "NextFlowImageGenerationOutput",
    "NextFlowImageProcessor",
    "NextFlowInterleavedOutput",
    "NextFlowProcessor",
    "NextFlowModel",
    "NextFlowPreTrainedModel",
    "find_image_spans",
    "layout_for_grid",
    "NextFlowConfig",
    "NextFlowVQConfig",
    "NextFlowVQEncoderOutput",
    "NextFlowVQModel",
    "NextFlowVQModelOutput",
    "ScaleScheduleTable",
    "get_scale_schedule",
    "num_image_tokens",
    "scale_loss_weights",
    "shapesworld_vq_config",
    "tiny_vq_config",
    "validate_schedule",
    "vision_patch_features",
]
