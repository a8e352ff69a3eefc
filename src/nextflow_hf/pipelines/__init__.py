"""diffusers pipelines of NextFlow: text → image, image editing, and interleaved text and images."""

from .pipeline_nextflow import (
    NextFlowEditPipeline,
    NextFlowInterleavedPipeline,
    NextFlowInterleavedPipelineOutput,
    NextFlowPipeline,
    NextFlowPipelineOutput,
)

__all__ = [
    "NextFlowEditPipeline",
    "NextFlowInterleavedPipeline",
    "NextFlowInterleavedPipelineOutput",
    "NextFlowPipeline",
    "NextFlowPipelineOutput",
]
