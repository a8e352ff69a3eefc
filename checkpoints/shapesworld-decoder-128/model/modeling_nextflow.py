"""NextFlow: one decoder that reads and writes text token by token and images scale by scale.

The decoder is transformers' `Qwen2_5_VLTextModel`, used as is; its M-RoPE takes the multiscale 3-D positions as
float position ids. Around it: a vision input path (codebook embedding of one scale, bicubic-upsampled to the
next scale's grid, through an MLP adapter, plus a learned scale embedding and a sinusoidal embedding of the
number of scales), block-causal masks for images, one output head over text and vision ids, and the VQ tokenizer
as a frozen fp32 sub-module. See `sequence_layout` for how an image sits in the sequence.
"""

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    GenerationMixin,
    PreTrainedModel,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLTextConfig,
    Qwen2_5_VLTextModel,
)
from transformers import initialization as init
from transformers.cache_utils import Cache, DynamicCache
from transformers.generation.logits_process import (
    ClassifierFreeGuidanceLogitsProcessor,
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from transformers.masking_utils import (
    create_causal_mask,
    find_packed_sequence_indices,
    packed_sequence_mask_function,
)
from transformers.modeling_outputs import BaseModelOutputWithPast
from transformers.utils import ModelOutput

from .configuration_nextflow import NextFlowConfig, NextFlowVQConfig
from .modeling_nextflow_vq import NextFlowVQModel, resize_features
from .scales import Grid, scale_loss_weights
from .sequence_layout import (
    IGNORE_INDEX,
    ImageLayout,
    ImageSpan,
    block_sequence_ids,
    find_image_spans,
    layout_for_schedule,
    rope_positions,
    vision_loss_scales,
)

FLASH_ATTENTION_PREFIX = "flash_attention"


@dataclass
class NextFlowModelOutputWithPast(BaseModelOutputWithPast):
    r"""
    vision_scales (`torch.LongTensor` of shape `(batch, length)`): the 0-based scale of the image whose codes each
        position predicts, -1 where a position predicts text.
    vision_weights (`torch.FloatTensor` of shape `(batch, length)`): the scale-aware loss weight of each position's
        vision prediction ((h·w)^-α, normalised per image), 1 elsewhere.
    """

    vision_scales: torch.LongTensor | None = None
    vision_weights: torch.FloatTensor | None = None


@dataclass
class NextFlowCausalLMOutputWithPast(ModelOutput):
    r"""
    loss (`torch.FloatTensor`): `text_loss + vision_loss`, present when `labels` are given.
    text_loss (`torch.FloatTensor`): mean cross-entropy of the text labels (over text ids, `<boi>` and `<eoi>`).
    vision_loss (`torch.FloatTensor`): scale-weighted mean cross-entropy of the vision labels (over the K codes).
    logits (`torch.FloatTensor` of shape `(batch, length, vocab_size)`): scores of the one shared head.
    """

    loss: torch.FloatTensor | None = None
    text_loss: torch.FloatTensor | None = None
    vision_loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    past_key_values: Cache | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


@dataclass
class NextFlowImageGenerationOutput(ModelOutput):
    r"""
    image_tokens (`list[torch.LongTensor]`): per scale, the `(batch, h, w)` code grids of the generated images;
        [`~NextFlowForConditionalGeneration.decode_image_tokens`] turns them into pixels.
    logits (`list[torch.FloatTensor]`, *optional*): per scale, the conditional branch's raw `(batch, h·w, K)` vision
        logits, before guidance and sampling (with `output_logits=True`).
    """

    image_tokens: list[torch.LongTensor] | None = None
    logits: list[torch.FloatTensor] | None = None


@dataclass
class NextFlowInterleavedOutput(ModelOutput):
    r"""
    sequences (`torch.LongTensor` of shape `(1, length)`): prompt, text and image spans (context layout, so the
        sequence can be fed back to `forward` / `generate` with `image_grids`).
    image_grids (`torch.LongTensor` of shape `(num_images, 2)`): final token grid of every image span in `sequences`.
    images (`list[list[torch.LongTensor]]`): the per-scale `(1, h, w)` code grids of each generated image.
    """

    sequences: torch.LongTensor | None = None
    image_grids: torch.LongTensor | None = None
    images: list[list[torch.LongTensor]] | None = None


def sinusoidal_embedding(value: int, dim: int, device: torch.device) -> torch.Tensor:
    """Transformer-style sine-cosine embedding of one integer, `(dim,)`: here the number of scales of an image."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=device, dtype=torch.float32) / half)
    angles = value * freqs
    return F.pad(torch.cat([angles.sin(), angles.cos()]), (0, dim - 2 * half))


class NextFlowVisionAdapter(nn.Module):
    """MLP from a code vector (semantic + pixel parts) to the decoder's width: d_code → d → d."""

    def __init__(self, code_dim: int, hidden_size: int):
        super().__init__()
        self.linear_in = nn.Linear(code_dim, hidden_size)
        self.act = nn.GELU()
        self.linear_out = nn.Linear(hidden_size, hidden_size)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.linear_out(self.act(self.linear_in(codes)))


class NextFlowPreTrainedModel(PreTrainedModel):
    config: NextFlowConfig
    base_model_prefix = "model"
    input_modalities = ("image", "text")
    output_modalities = ("image", "text")
    supports_gradient_checkpointing = True
    _no_split_modules = ["Qwen2_5_VLDecoderLayer", "NextFlowVQModel"]
    _skip_keys_device_placement = ["past_key_values"]
    _keep_in_fp32_modules_strict = ["vqmodel"]
    # The bitsandbytes quantizers skip these (matched from the start of a module's name, as the model itself or
    # inside NextFlowForConditionalGeneration), so a quantised decoder keeps its tokenizer in full precision.
    _keep_in_fp32_modules = ["vqmodel", "model.vqmodel"]
    _supports_sdpa = True
    _supports_flash_attn = True
    _supports_attention_backend = True

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, NextFlowModel):
            init.normal_(module.scale_embedding.weight, std=(3 * self.config.text_config.hidden_size) ** -0.5)


class NextFlowModel(NextFlowPreTrainedModel):
    """The decoder with its vision input path and tokenizer; returns hidden states (no head)."""

    def __init__(self, config: NextFlowConfig):
        super().__init__(config)
        hidden_size = config.text_config.hidden_size
        self.language_model = Qwen2_5_VLTextModel._from_config(config.text_config)
        self.vqmodel = NextFlowVQModel._from_config(config.vq_config, dtype=torch.float32)  # fp32 as when loaded
        self.vision_adapter = NextFlowVisionAdapter(config.vq_config.code_dim, hidden_size)
        self.scale_embedding = nn.Embedding(config.vq_config.scale_table.num_steps, hidden_size)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.language_model.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.language_model.embed_tokens = value

    def image_spans(self, input_ids: torch.LongTensor, image_grids: torch.LongTensor | None) -> list[ImageSpan]:
        """The image spans of a batch (see `sequence_layout.find_image_spans`)."""
        config = self.config
        table = config.vq_config.scale_table
        return find_image_spans(input_ids, image_grids, table, config.boi_token_id, config.eoi_token_id)

    def image_layout(self, schedule: Sequence[Grid], context: bool) -> ImageLayout:
        """The layout of an image with `schedule`, generated (`context=False`) or in context."""
        return layout_for_schedule(self.config.vq_config.scale_table, schedule, context)

    @torch.no_grad()
    def fill_image_placeholders(
        self,
        input_ids: torch.LongTensor,
        spans: Sequence[ImageSpan],
        pixel_values: torch.Tensor | Sequence[torch.Tensor] | None,
    ) -> torch.LongTensor:
        """Encodes `pixel_values` (one image per span whose blocks are `image_token_id` placeholders, in order) with
        the tokenizer and writes their codes into the blocks; spans that already hold vision ids are kept."""
        placeholder_spans = [span for span in spans if self._holds_placeholders(input_ids, span)]
        num_images = 0 if pixel_values is None else len(pixel_values)
        if len(placeholder_spans) != num_images:
            raise ValueError(
                f"The batch has {len(placeholder_spans)} image placeholder span(s) but {num_images} image(s) in "
                "pixel_values; every <boi><image_token>…<eoi> span needs exactly one image."
            )
        if not placeholder_spans:
            return input_ids
        input_ids = input_ids.clone()
        config = self.config
        for span, pixels in zip(placeholder_spans, pixel_values):
            codes = self.vqmodel.encode(pixels[None].to(self.vqmodel.dtype), schedule=span.layout.schedule)
            tokens = [scale[0] for scale in codes.image_tokens]
            span_ids = span.layout.token_ids(
                tokens, config.vision_token_offset, config.boi_token_id, config.eoi_token_id
            )
            input_ids[span.row, span.start : span.start + span.layout.span_length] = span_ids.to(input_ids.device)
        return input_ids

    def _holds_placeholders(self, input_ids: torch.LongTensor, span: ImageSpan) -> bool:
        return bool((input_ids[span.row, span.block_slice] == self.config.image_token_id).all())

    def scale_count_embedding(self, num_scales: int, dtype: torch.dtype) -> torch.Tensor:
        """Sinusoidal embedding of an image's number of scales: tells every vision token (and `<boi>`) the target
        resolution."""
        hidden_size = self.config.text_config.hidden_size
        return sinusoidal_embedding(num_scales, hidden_size, self.scale_embedding.weight.device).to(dtype)

    def block_features(self, codes: Sequence[torch.LongTensor], layout: ImageLayout, block: int) -> torch.Tensor:
        """What block `block` (1-based) reads, `(n, code_dim, h, w)` on its grid, from the `(n, h, w)` code grids of
        scales 1..`block` (`config.vision_input`): the codes of scale `block` alone, bicubic-upsampled (residual),
        or the image drawn so far, area-downsampled (accumulated)."""
        grid = layout.block_grids[block - 1]
        if self.config.vision_input == "residual":
            return resize_features(self.vqmodel.embed_codes(codes[block - 1]), grid, "bicubic")
        drawn = self.vqmodel.codes_to_features(codes[:block], final_grid=layout.schedule[-1])
        return resize_features(drawn, grid, "area")

    def embed_block(self, codes: Sequence[torch.LongTensor], layout: ImageLayout, block: int) -> torch.Tensor:
        """Input embeddings of block `block` (1-based) from the `(n, h, w)` code grids of scales 1..`block`: their
        features (`block_features`) through the adapter, plus the scale and scale-count embeddings.
        Returns `(n, grid_h · grid_w, hidden)`."""
        features = self.block_features(codes, layout, block)
        dtype = self.vision_adapter.linear_in.weight.dtype
        hidden = self.vision_adapter(features.flatten(2).transpose(1, 2).to(dtype))
        return (
            hidden
            + self.scale_embedding.weight[block - 1]
            + self.scale_count_embedding(layout.num_scales, hidden.dtype)
        )

    def embed_inputs(self, input_ids: torch.LongTensor, spans: Sequence[ImageSpan]) -> torch.Tensor:
        """Token embeddings, with every image block replaced by its vision embedding and the scale-count embedding
        added at each image's `<boi>`."""
        inputs_embeds = self.language_model.embed_tokens(input_ids)
        offset = self.config.vision_token_offset
        groups: dict = {}
        for span in spans:
            groups.setdefault(span.layout, []).append(span)
        for layout, group in groups.items():
            rows = torch.tensor([span.row for span in group], device=input_ids.device)
            starts = torch.tensor([span.start for span in group], device=input_ids.device)
            positions = starts[:, None] + torch.arange(1, layout.num_block_tokens + 1, device=input_ids.device)
            block_ids = input_ids[rows[:, None], positions]
            self._check_block_ids(block_ids, group)
            codes, cursor = [], 0
            for block, grid in enumerate(layout.block_grids, start=1):
                source = layout.source_index(block).to(input_ids.device) + cursor
                codes.append((block_ids[:, source] - offset).view(len(group), *layout.schedule[block - 1]))
                cursor += grid[0] * grid[1]
            blocks = [self.embed_block(codes, layout, block) for block in range(1, len(codes) + 1)]
            vision = torch.cat(blocks, dim=1).to(inputs_embeds.dtype)
            inputs_embeds = inputs_embeds.index_put((rows[:, None], positions), vision)
            boi = inputs_embeds[rows, starts] + self.scale_count_embedding(layout.num_scales, inputs_embeds.dtype)
            inputs_embeds = inputs_embeds.index_put((rows, starts), boi)
        return inputs_embeds

    def _check_block_ids(self, block_ids: torch.LongTensor, spans: Sequence[ImageSpan]) -> None:
        offset, size = self.config.vision_token_offset, self.config.vq_config.codebook_size
        if ((block_ids < offset) | (block_ids >= offset + size)).any():
            where = [(span.row, span.start) for span in spans]
            raise ValueError(
                f"Image blocks after <boi> at (row, position) {where} must hold vision ids in [{offset}, "
                f"{offset + size}); placeholders need pixel_values, and pre-extracted codes need the offset "
                f"{offset} added (see `ImageLayout.token_ids`)."
            )

    def vision_loss_targets(
        self, input_ids: torch.LongTensor, spans: Sequence[ImageSpan]
    ) -> tuple[torch.LongTensor, torch.FloatTensor]:
        """Per position: the scale of the vision token it predicts (-1 for text) and its scale-aware loss weight."""
        scales = vision_loss_scales(input_ids.shape, spans, input_ids.device)
        weights = torch.ones(input_ids.shape, device=input_ids.device)
        for span in spans:
            per_scale = torch.tensor(
                scale_loss_weights(span.layout.schedule, self.config.scale_loss_alpha), device=input_ids.device
            )
            span_scales = scales[span.row, span.start : span.start + span.layout.span_length]
            weights[span.row, span.start : span.start + span.layout.span_length] = torch.where(
                span_scales >= 0, per_scale[span_scales.clamp(min=0)], 1.0
            )
        return scales, weights

    def block_causal_mask(
        self,
        inputs_embeds: torch.Tensor,
        attention_mask: torch.Tensor | None,
        past_key_values: Cache | None,
        block_ids: torch.LongTensor | None,
        documents: torch.LongTensor | None = None,
    ) -> torch.Tensor | None:
        """The decoder's mask: causal for text, bidirectional inside each image block (`create_causal_mask` with
        `block_sequence_ids`), and, for packed rows, no attention across samples (`documents`: the sample index of
        every token). `None` when sdpa can use its causal kernel."""
        text_config = self.config.text_config
        if text_config._attn_implementation.startswith(FLASH_ATTENTION_PREFIX) and (
            block_ids is not None or documents is not None
        ):
            raise ValueError(
                "Flash attention cannot express the block-causal mask of a sequence with images, nor this model's "
                "packed-sample mask; load the model with attn_implementation='sdpa' (or 'eager') "
                "for such batches. Image generation with flash attention works, as each scale needs no mask."
            )
        return create_causal_mask(
            config=text_config,
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            past_key_values=past_key_values,
            and_mask_function=None if documents is None else packed_sequence_mask_function(documents),
            block_sequence_ids=block_ids,
        )

    def check_length(self, length: int) -> None:
        limit = self.config.text_config.max_position_embeddings
        if length > limit:
            raise ValueError(
                f"The sequence has {length} positions, more than the model's context of {limit} "
                "(text_config.max_position_embeddings); shorten the prompt or use a smaller image level."
            )

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        pixel_values: torch.Tensor | Sequence[torch.Tensor] | None = None,
        image_grids: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        **kwargs,
    ) -> NextFlowModelOutputWithPast:
        r"""
        input_ids (`torch.LongTensor` of shape `(batch, length)`): text ids with image spans
            `<boi> blocks <eoi>` whose blocks hold vision ids (pre-extracted codes) or `image_token_id` placeholders.
        pixel_values (`torch.Tensor` or list of `(3, H, W)` tensors, *optional*): one image in [-1, 1] per
            placeholder span, in order; the tokenizer encodes them.
        image_grids (`torch.LongTensor` of shape `(num_images, 2)`, *optional*): the final token grid of every
            image span in the batch, in order (row by row, left to right).
        position_ids (`torch.Tensor`, *optional*): `(3, batch, length)` multiscale 3-D positions, computed from the
            spans when omitted (on a cache that already holds images, pass them: `generate` does). A
            `(batch, length)` tensor of per-sample text positions that restart at 0 marks *packed* samples (as
            `DataCollatorWithFlattening` makes): each sample then gets its own positions and sees only itself.
        """
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        if use_cache and past_key_values is None:
            past_key_values = DynamicCache(config=self.config.text_config)
        past_length = past_key_values.get_seq_length() if past_key_values is not None else 0
        reference = input_ids if input_ids is not None else inputs_embeds[..., 0]
        self.check_length(past_length + reference.shape[1])
        spans = []
        if input_ids is not None:
            spans = self.image_spans(input_ids, image_grids)
            input_ids = self.fill_image_placeholders(input_ids, spans, pixel_values)
            inputs_embeds = self.embed_inputs(input_ids, spans)
        if attention_mask is None:
            attention_mask = torch.ones(reference.shape[0], past_length + reference.shape[1], device=reference.device)
        documents = None
        if position_ids is not None and position_ids.ndim == 2:
            documents = find_packed_sequence_indices(position_ids)
            position_ids = None
        if position_ids is None:
            position_ids = rope_positions(attention_mask[:, past_length:], spans, documents) + past_length
        block_ids = None
        if spans:
            block_ids = block_sequence_ids(reference.shape, spans, reference.device)
            block_ids = F.pad(block_ids, (past_length, 0), value=-1)
        mask = self.block_causal_mask(inputs_embeds, attention_mask, past_key_values, block_ids, documents)
        kwargs.pop("num_items_in_batch", None)
        outputs = self.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask={"full_attention": mask},
            position_ids=position_ids,
            past_key_values=past_key_values,
            use_cache=use_cache,
            **kwargs,
        )
        vision_scales = vision_weights = None
        if input_ids is not None:
            vision_scales, vision_weights = self.vision_loss_targets(input_ids, spans)
        return NextFlowModelOutputWithPast(
            last_hidden_state=outputs.last_hidden_state,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
            vision_scales=vision_scales,
            vision_weights=vision_weights,
        )


def nextflow_loss(
    logits: torch.Tensor,
    labels: torch.LongTensor,
    vision_weights: torch.Tensor | None,
    vision_token_offset: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Text CE (over the text ids, `<boi>` and `<eoi>`) + scale-weighted vision CE (over the codes).

    The token at p predicts label p + 1. Each part is a mean over its own labels, so a batch without images (or
    without text labels) contributes zero to that part.
    """
    logits = logits[:, :-1]
    labels = labels[:, 1:].to(logits.device)
    weights = torch.ones(labels.shape, device=logits.device) if vision_weights is None else vision_weights[:, :-1]
    is_vision = labels >= vision_token_offset
    is_text = (labels != IGNORE_INDEX) & ~is_vision
    # Only the labelled rows are upcast to fp32; an absent part is an empty sum, zero but still in the graph.
    text_loss = vision_loss = logits[:, :0].float().sum()
    if is_text.any():
        text_loss = F.cross_entropy(logits[is_text][:, :vision_token_offset].float(), labels[is_text])
    if is_vision.any():
        per_token = F.cross_entropy(
            logits[is_vision][:, vision_token_offset:].float(),
            labels[is_vision] - vision_token_offset,
            reduction="none",
        )
        vision_loss = (per_token * weights[is_vision].float()).mean()
    return text_loss + vision_loss, text_loss, vision_loss


def sanitize_labels(labels: torch.LongTensor, spans: Sequence[ImageSpan], vision_token_offset: int) -> torch.LongTensor:
    """Inside image spans only vision labels count: placeholder or `<eoi>` labels there (a processor's
    `labels = input_ids`) become `IGNORE_INDEX`; the `<boi>` label, learnt by the text before it, stays."""
    labels = labels.clone()
    for span in spans:
        window = labels[span.row, span.start + 1 : span.start + span.layout.span_length]
        window[window < vision_token_offset] = IGNORE_INDEX
    return labels


class NextFlowForConditionalGeneration(NextFlowPreTrainedModel, GenerationMixin):
    """NextFlow with its shared text + vision head: training loss, text `generate()` and `generate_image()`."""

    _tied_weights_keys = {"lm_head.weight": "model.language_model.embed_tokens.weight"}
    accepts_loss_kwargs = False

    def __init__(self, config: NextFlowConfig):
        super().__init__(config)
        self.model = NextFlowModel(config)
        self.lm_head = nn.Linear(config.text_config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.set_input_embeddings(value)

    @property
    def vqmodel(self) -> NextFlowVQModel:
        return self.model.vqmodel

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        pixel_values: torch.Tensor | Sequence[torch.Tensor] | None = None,
        image_grids: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        logits_to_keep: int = 0,
        **kwargs,
    ) -> NextFlowCausalLMOutputWithPast:
        r"""
        labels (`torch.LongTensor` of shape `(batch, length)`, *optional*): causal-LM labels (position p predicts
            label p + 1; `-100` ignored). Inside an image span they are the vision ids of the targets r_1 … r_K
            (`ImageLayout.labels`); other labels there are ignored. Returns `loss = text_loss + vision_loss`.

        See [`NextFlowModel.forward`] for the other arguments.
        """
        outputs = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            inputs_embeds=inputs_embeds,
            pixel_values=pixel_values,
            image_grids=image_grids,
            use_cache=use_cache,
            **kwargs,
        )
        hidden = outputs.last_hidden_state
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:]
        logits = self.lm_head(hidden)
        loss = text_loss = vision_loss = None
        if labels is not None:
            if logits_to_keep:
                raise ValueError("labels need logits for every position; do not pass logits_to_keep with labels.")
            spans = self.model.image_spans(input_ids, image_grids) if input_ids is not None else []
            labels = sanitize_labels(labels, spans, self.config.vision_token_offset)
            loss, text_loss, vision_loss = nextflow_loss(
                logits, labels, outputs.vision_weights, self.config.vision_token_offset
            )
        return NextFlowCausalLMOutputWithPast(
            loss=loss,
            text_loss=text_loss,
            vision_loss=vision_loss,
            logits=logits,
            past_key_values=outputs.past_key_values,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )

    # ----- text generation -----

    def _prepare_position_ids_for_generation(self, inputs_tensor: torch.Tensor, model_kwargs: dict) -> torch.Tensor:
        """Multiscale 3-D positions of the prompt; `generate` then advances all three by one per new token."""
        attention_mask = model_kwargs.get("attention_mask")
        if attention_mask is None:
            attention_mask = torch.ones(inputs_tensor.shape[:2], device=inputs_tensor.device)
        spans = self.model.image_spans(inputs_tensor, model_kwargs.get("image_grids"))
        return rope_positions(attention_mask, spans)

    def prepare_inputs_for_generation(self, input_ids, *args, is_first_iteration: bool | None = False, **kwargs):
        model_inputs = super().prepare_inputs_for_generation(
            input_ids, *args, is_first_iteration=is_first_iteration, **kwargs
        )
        if not is_first_iteration and kwargs.get("use_cache", True):
            model_inputs.pop("image_grids", None)
        return model_inputs

    def generate(self, *args, generation_mode: str = "text", **kwargs):
        """`generation_mode="text"` (default): transformers' `generate`, restricted to text ids; it stops when the
        model emits `<boi>` (it wants to draw) as well as at EOS. `"image"`: [`generate_image`]. `"interleaved"`:
        [`generate_interleaved`], which draws whenever the model emits `<boi>` and goes on writing."""
        if generation_mode == "image":
            return self.generate_image(*args, **kwargs)
        if generation_mode == "interleaved":
            return self.generate_interleaved(*args, **kwargs)
        if generation_mode != "text":
            raise ValueError(f"generation_mode must be 'text', 'image' or 'interleaved'; got {generation_mode!r}.")
        config = self.config
        kwargs.setdefault(
            "suppress_tokens", [config.eoi_token_id, *range(config.vision_token_offset, config.vocab_size)]
        )
        kwargs["guidance_scale"] = None  # a guidance_scale in generation_config is for images; text is unguided
        eos = kwargs.pop("eos_token_id", None) or self.generation_config.eos_token_id
        eos = [eos] if isinstance(eos, int) else list(eos or [])
        kwargs["eos_token_id"] = [*eos, config.boi_token_id]
        return super().generate(*args, **kwargs)

    @torch.no_grad()
    def generate_interleaved(
        self,
        input_ids: torch.LongTensor,
        pixel_values: torch.Tensor | Sequence[torch.Tensor] | None = None,
        image_grids: torch.LongTensor | None = None,
        max_new_tokens: int = 256,
        max_images: int = 4,
        image_kwargs: dict | None = None,
        **text_kwargs,
    ) -> "NextFlowInterleavedOutput":
        """Text and images in one stream, for one prompt: text generation runs until the model emits `<boi>`,
        `generate_image` draws (`image_kwargs`: level, aspect_ratio, guidance_scale, generator, …), the image goes
        into the sequence as a context image, and writing resumes; after `max_images` images `<boi>` is suppressed.
        `max_new_tokens` counts text tokens only."""
        if input_ids.shape[0] != 1:
            raise ValueError(f"generate_interleaved takes one prompt (batch 1); got a batch of {input_ids.shape[0]}.")
        config = self.config
        attention_mask = text_kwargs.pop("attention_mask", None)
        if attention_mask is not None:  # one prompt needs no padding, and the sequence grows between rounds
            input_ids = input_ids[:, attention_mask[0].bool().to(input_ids.device)]
        spans = self.model.image_spans(input_ids, image_grids)
        sequence = self.model.fill_image_placeholders(input_ids.to(self.device), spans, pixel_values)
        grids = image_grids.to(self.device) if image_grids is not None else torch.zeros(0, 2, dtype=torch.long)
        images: list[list[torch.LongTensor]] = []
        text_tokens = 0
        suppress = [config.eoi_token_id, *range(config.vision_token_offset, config.vocab_size)]
        while text_tokens < max_new_tokens:
            if len(images) == max_images:
                suppress = [config.boi_token_id, *suppress]
            output = self.generate(
                sequence,
                image_grids=grids if len(grids) else None,
                max_new_tokens=max_new_tokens - text_tokens,
                suppress_tokens=suppress,
                **text_kwargs,
            )
            text_tokens += output.shape[1] - sequence.shape[1]
            sequence = output
            if int(sequence[0, -1]) != config.boi_token_id:
                break
            drawn = self.generate_image(sequence, image_grids=grids if len(grids) else None, **(image_kwargs or {}))
            tokens = [scale[:1] for scale in drawn.image_tokens]
            layout = self.model.image_layout([tuple(t.shape[-2:]) for t in tokens], context=True)
            span = layout.token_ids(
                [t[0] for t in tokens], config.vision_token_offset, config.boi_token_id, config.eoi_token_id
            )
            sequence = torch.cat([sequence[:, :-1], span[None].to(sequence.device)], dim=1)
            grids = torch.cat([grids.to(sequence.device), torch.tensor([layout.schedule[-1]], device=sequence.device)])
            images.append(tokens)
        return NextFlowInterleavedOutput(sequences=sequence, image_grids=grids, images=images)

    # ----- image generation -----

    def decode_image_tokens(
        self, image_tokens: Sequence[torch.LongTensor], final_grid: Grid | None = None
    ) -> torch.Tensor:
        """Pixels `(batch, 3, H, W)` in about [-1, 1] from per-scale code grids (as `generate_image` returns).
        With `final_grid`, the scales drawn so far are previewed at that grid's size."""
        return self.vqmodel.decode(image_tokens, final_grid)

    @torch.no_grad()
    def generate_image(
        self,
        input_ids: torch.LongTensor,
        attention_mask: torch.Tensor | None = None,
        pixel_values: torch.Tensor | Sequence[torch.Tensor] | None = None,
        image_grids: torch.LongTensor | None = None,
        negative_input_ids: torch.LongTensor | None = None,
        negative_attention_mask: torch.Tensor | None = None,
        level: int | None = None,
        aspect_ratio: float = 1.0,
        guidance_scale: float | Sequence[float] | None = None,
        temperature: float | Sequence[float] | None = None,
        top_k: int | Sequence[int] | None = None,
        top_p: float | Sequence[float] | None = None,
        do_sample: bool = True,
        num_images_per_prompt: int = 1,
        generator: torch.Generator | Sequence[torch.Generator] | None = None,
        output_logits: bool = False,
        callback_on_scale_end: Callable[[int, list[torch.LongTensor]], bool | None] | None = None,
    ) -> NextFlowImageGenerationOutput:
        r"""
        Next-scale image generation: one decoder forward per scale on a KV cache.

        Args:
            input_ids: `(batch, length)` left-padded prompts (without the trailing `<boi>`, which is appended).
                Context images (for editing) are spans, as in `forward`, with `pixel_values` / `image_grids`.
            negative_input_ids: the unconditional prompts for classifier-free guidance (one, or one per prompt);
                by default the empty prompt (nothing before `<boi>`), as captions were dropped in training.
            level: image level of the scale table (256 / 512 / 1024 in the paper's table); default the largest.
            aspect_ratio: height / width; the nearest bucket of the table is used.
            guidance_scale: CFG scale g (1 disables guidance); one g ramps linearly from 1 at the first scale to g
                at the last (VAR), a sequence gives each scale its own (Infinity's per-scale list; e.g. `[3] * 8`
                guides every scale alike). Defaults to `generation_config.guidance_scale`, else 1.
            temperature, top_k, top_p: per-token sampling over the K codes, each one value for every scale or a
                sequence of one per scale (as Infinity's per-scale lists: e.g. `top_k=[0] * 6 + [1, 1]` samples the
                layout and takes the most likely codes at the two finest scales); defaults from
                `generation_config`'s `image_temperature`, `image_top_k`, `image_top_p` (not its text fields: text
                stays greedy, and `GenerationConfig` refuses text sampling settings without `do_sample`).
            do_sample: sample (default) or take the most likely code.
            num_images_per_prompt: images per prompt, rows `[p0, p0, …, p1, …]`.
            generator: a `torch.Generator`, or one per output image so that every image is reproducible on its own
                (a batch then gives the same images as one prompt at a time).
            output_logits: also return the raw conditional vision logits of every scale.
            callback_on_scale_end: called after each scale with its index and the list of code grids so far; it
                may replace the last grid (the next scale then builds on the replacement) and returns `True` to
                stop early (the output then holds the scales drawn so far).
        """
        config, gen_config = self.config, self.generation_config
        device = self.lm_head.weight.device
        table = config.vq_config.scale_table
        level = max(table.levels) if level is None else level
        schedule = table.get_schedule(level, aspect_ratio)
        layout = self.model.image_layout(schedule, context=False)
        input_ids = input_ids.to(device)
        attention_mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask.to(device)
        if (input_ids[:, -1] == config.boi_token_id).all():
            input_ids, attention_mask = input_ids[:, :-1], attention_mask[:, :-1]
        guidance = self._guidance_per_scale(
            guidance_scale if guidance_scale is not None else (gen_config.guidance_scale or 1.0), len(schedule)
        )
        guided = max(guidance) > 1
        warpers = self._image_logits_warpers(
            len(schedule),
            temperature=temperature if temperature is not None else getattr(gen_config, "image_temperature", None),
            top_k=top_k if top_k is not None else getattr(gen_config, "image_top_k", None),
            top_p=top_p if top_p is not None else getattr(gen_config, "image_top_p", None),
        )
        batch = input_ids.shape[0] * num_images_per_prompt
        generators = self._per_image_generators(generator, batch)
        self.model.check_length(input_ids.shape[1] + layout.span_length)

        prompt = self._image_prompt(input_ids, attention_mask, pixel_values, image_grids, num_images_per_prompt)
        if guided:
            negative = self._negative_prompt(negative_input_ids, negative_attention_mask, input_ids.shape[0])
            prompt = prompt.stack(negative.repeat(num_images_per_prompt), config.text_config.pad_token_id or 0)
        ids, mask, spans = prompt.input_ids, prompt.attention_mask, prompt.spans
        ids = torch.cat([ids, ids.new_full((ids.shape[0], 1), config.boi_token_id)], dim=1)
        mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)

        cache = DynamicCache(config=config.text_config)
        embeds = self.model.embed_inputs(ids, spans)
        embeds[:, -1] += self.model.scale_count_embedding(layout.num_scales, embeds.dtype)
        positions = rope_positions(mask, spans)
        boi_time = positions[0, :, -1]
        block_ids = block_sequence_ids(ids.shape, spans, device) if spans else None
        hidden = self._prefill_image_prompt(embeds, mask, positions, cache, block_ids)[:, -1:]

        # Inside an image only codes can come next: the head's vision rows alone (at the 7B shape the text rows
        # are most of the vocabulary).
        vision_head = self.lm_head.weight[config.vision_token_offset :]
        image_tokens, logits_per_scale = [], []
        for scale, grid in enumerate(schedule):
            logits = F.linear(hidden, vision_head).float()
            if output_logits:
                logits_per_scale.append(logits[:batch])
            scores = self._guide(logits, guidance[scale]) if guided else logits
            tokens = _sample(warpers[scale](None, scores.flatten(0, 1)), do_sample, generators).view(batch, *grid)
            image_tokens.append(tokens)
            stop = callback_on_scale_end is not None and callback_on_scale_end(scale, image_tokens)
            if stop or scale == len(schedule) - 1:
                break
            block = scale + 1
            codes = [tokens.repeat(2, 1, 1) for tokens in image_tokens] if guided else image_tokens
            embeds = self.model.embed_block(codes, layout, block)
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], embeds.shape[1]))], dim=1)
            positions = self._block_positions(layout, block, boi_time)
            hidden = self._decode_block(embeds.to(self.dtype), mask, positions, cache)
        return NextFlowImageGenerationOutput(image_tokens=image_tokens, logits=logits_per_scale or None)

    def _prefill_image_prompt(
        self,
        inputs_embeds: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        cache: Cache,
        block_ids: torch.LongTensor | None,
    ) -> torch.Tensor:
        """The prompt's forward onto an empty cache, block-causal over any context images."""
        mask = self.model.block_causal_mask(inputs_embeds, attention_mask, cache, block_ids)
        return self._run_decoder(inputs_embeds, mask, position_ids, cache)

    def _decode_block(
        self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, position_ids: torch.Tensor, cache: Cache
    ) -> torch.Tensor:
        """One scale's forward: the new block sees everything cached and itself, in both directions. Without
        padding no mask tensor is needed (`is_causal=False`), so sdpa and flash attention keep their fast kernels."""
        mask = None
        if not bool(attention_mask.all()):
            block_ids = torch.full(attention_mask.shape, -1, dtype=torch.long, device=attention_mask.device)
            block_ids[:, -inputs_embeds.shape[1] :] = 0
            mask = create_causal_mask(
                config=self.config.text_config,
                inputs_embeds=inputs_embeds,
                attention_mask=attention_mask,
                past_key_values=cache,
                block_sequence_ids=block_ids,
            )
        return self._run_decoder(inputs_embeds, mask, position_ids, cache, is_causal=False)

    def _run_decoder(self, inputs_embeds, mask, position_ids, cache: Cache, **kwargs) -> torch.Tensor:
        outputs = self.model.language_model(
            inputs_embeds=inputs_embeds,
            attention_mask={"full_attention": mask},
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
            **kwargs,
        )
        return outputs.last_hidden_state

    def _block_positions(self, layout, block: int, boi_time: torch.Tensor) -> torch.Tensor:
        """`(3, rows, h·w)` positions of block `block`: temporal `t_boi + block`, spatial from the layout."""
        first = sum(h * w for h, w in layout.block_grids[: block - 1])
        size = layout.block_grids[block - 1][0] * layout.block_grids[block - 1][1]
        coordinates = layout.block_coordinates[:, first : first + size].to(boi_time.device)
        temporal = (boi_time + block)[:, None].expand(-1, size)
        return torch.cat([temporal[None], coordinates[:, None, :].expand(-1, len(boi_time), -1)], dim=0)

    @staticmethod
    def _guidance_per_scale(guidance_scale: float | Sequence[float], num_scales: int) -> list[float]:
        """The CFG scale of each image scale: one g ramps linearly from 1 at the first scale to g at the last (VAR);
        a sequence is one per scale, as given."""
        if isinstance(guidance_scale, Sequence):
            return [float(value) for value in one_per_scale("guidance_scale", guidance_scale, num_scales)]
        return [1 + (guidance_scale - 1) * scale / max(num_scales - 1, 1) for scale in range(num_scales)]

    @staticmethod
    def _guide(logits: torch.Tensor, guidance_scale: float) -> torch.Tensor:
        """CFG over one scale's `(2·batch, tokens, codes)` logits, conditional rows first; at a scale of 1 or less
        the conditional logits alone."""
        rows, tokens, codes = logits.shape
        half = rows // 2
        if guidance_scale <= 1:
            return logits[:half]
        flat = torch.cat([logits[:half].reshape(-1, codes), logits[half:].reshape(-1, codes)])
        guided = ClassifierFreeGuidanceLogitsProcessor(guidance_scale)(flat.new_empty(half * tokens, 0), flat)
        return guided.view(half, tokens, codes)

    @staticmethod
    def _image_logits_warpers(
        num_scales: int,
        temperature: float | Sequence[float] | None,
        top_k: int | Sequence[int] | None,
        top_p: float | Sequence[float] | None,
    ) -> list[LogitsProcessorList]:
        """The sampling warpers of each scale; every setting is one value for every scale or one per scale."""
        settings = zip(
            one_per_scale("temperature", temperature, num_scales),
            one_per_scale("top_k", top_k, num_scales),
            one_per_scale("top_p", top_p, num_scales),
        )
        warpers = []
        for scale_temperature, scale_top_k, scale_top_p in settings:
            scale_warpers = LogitsProcessorList()
            if scale_temperature is not None and scale_temperature != 1.0:
                scale_warpers.append(TemperatureLogitsWarper(scale_temperature))
            if scale_top_k:
                scale_warpers.append(TopKLogitsWarper(scale_top_k))
            if scale_top_p is not None and scale_top_p < 1.0:
                scale_warpers.append(TopPLogitsWarper(scale_top_p))
            warpers.append(scale_warpers)
        return warpers

    @staticmethod
    def _per_image_generators(
        generator: torch.Generator | Sequence[torch.Generator] | None, batch: int
    ) -> list[torch.Generator] | torch.Generator | None:
        if isinstance(generator, Sequence):
            if len(generator) != batch:
                raise ValueError(
                    f"Got {len(generator)} generators for {batch} images (prompts × num_images_per_prompt); pass "
                    "one generator, or one per image."
                )
            return list(generator)
        return generator

    def _image_prompt(self, input_ids, attention_mask, pixel_values, image_grids, repeats: int) -> "ImagePrompt":
        """The conditional prompts with their context images encoded, each repeated `repeats` times."""
        spans = self.model.image_spans(input_ids, image_grids)
        input_ids = self.model.fill_image_placeholders(input_ids, spans, pixel_values)
        return ImagePrompt(input_ids, attention_mask, spans).repeat(repeats)

    def _negative_prompt(self, input_ids, attention_mask, batch: int) -> "ImagePrompt":
        """The unconditional prompts: the given ones (text only), or the empty prompt."""
        device = self.lm_head.weight.device
        if input_ids is None:
            empty = torch.zeros(batch, 0, dtype=torch.long, device=device)
            return ImagePrompt(empty, empty.clone(), [])
        input_ids = input_ids.to(device)
        attention_mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask.to(device)
        if input_ids.shape[0] == 1:
            input_ids, attention_mask = input_ids.expand(batch, -1), attention_mask.expand(batch, -1)
        if input_ids.shape[0] != batch:
            raise ValueError(f"Got {input_ids.shape[0]} negative prompts for {batch} prompts; pass one or {batch}.")
        if (input_ids == self.config.boi_token_id).any():
            raise ValueError("Negative prompts must be text only (no <boi> or images).")
        return ImagePrompt(input_ids, attention_mask, [])

    @classmethod
    def from_text_model(
        cls,
        text_model: str | os.PathLike | PreTrainedModel,
        vq_model: NextFlowVQModel | str | os.PathLike | None = None,
        vq_config: NextFlowVQConfig | None = None,
        text_vocab_size: int | None = None,
        image_token_id: int | None = None,
        **config_kwargs,
    ) -> "NextFlowForConditionalGeneration":
        """A NextFlow whose decoder starts from a text model: a Qwen2.5-VL checkpoint (its language model) or any
        Qwen2-family causal LM, given as a path, a Hub id or a loaded model.

        The vocabulary becomes `[text_vocab_size text ids][<boi>][<eoi>][K codes]`. Text rows of the embedding and
        the head are copied (`text_vocab_size` defaults to the text model's vocabulary; pass the tokenizer's
        length to drop padding rows); `<boi>` / `<eoi>` start at the mean text row; code rows start from the
        tokenizer's codebook through the (fresh) adapter, scaled to the text rows' norm. The tokenizer comes from
        `vq_model` (a model or a path) or is built fresh from `vq_config`.
        """
        language_model, head = _load_text_model(text_model)
        source_config = language_model.config
        text_vocab_size = text_vocab_size or source_config.vocab_size
        if vq_model is not None and not isinstance(vq_model, NextFlowVQModel):
            vq_model = NextFlowVQModel.from_pretrained(vq_model)
        vq_config = vq_model.config if vq_model is not None else (vq_config or NextFlowVQConfig())
        config = NextFlowConfig(
            text_config=_qwen2_5_vl_text_config(source_config),
            vq_config=vq_config,
            text_vocab_size=text_vocab_size,
            image_token_id=image_token_id,
            **config_kwargs,
        )
        model = cls(config)
        model.model.language_model.load_state_dict(
            {k: v for k, v in language_model.state_dict().items() if not k.startswith("embed_tokens.")}, strict=False
        )
        if vq_model is not None:
            model.model.vqmodel.load_state_dict(vq_model.state_dict())
        model._copy_vocabulary(language_model.embed_tokens.weight, head.weight, text_vocab_size)
        return model

    @torch.no_grad()
    def _copy_vocabulary(self, source_embeddings: torch.Tensor, source_head: torch.Tensor, text_vocab_size: int):
        """Text rows from the text model; `<boi>`/`<eoi>` at the mean text row; code rows from the codebook."""
        kept = min(text_vocab_size, source_embeddings.shape[0])
        codebook = self.model.vqmodel.quantizer.codebook().to(self.dtype)
        for target, source in (
            (self.get_input_embeddings().weight, source_embeddings),
            (self.lm_head.weight, source_head),
        ):
            target[:kept] = source[:kept]
            target[kept : self.config.vision_token_offset] = source[:kept].mean(dim=0)
            codes = self.model.vision_adapter(codebook)
            codes = codes / codes.norm(dim=1, keepdim=True) * source[:kept].norm(dim=1).mean()
            target[self.config.vision_token_offset :] = codes


@dataclass
class ImagePrompt:
    """Left-padded prompts with the image spans they contain."""

    input_ids: torch.LongTensor
    attention_mask: torch.Tensor
    spans: list[ImageSpan]

    def repeat(self, repeats: int) -> "ImagePrompt":
        """Every row `repeats` times in a row: `[p0, p0, p1, p1, …]`."""
        spans = [
            ImageSpan(span.row * repeats + copy, span.start, span.layout)
            for span in self.spans
            for copy in range(repeats)
        ]
        return ImagePrompt(
            self.input_ids.repeat_interleave(repeats, dim=0),
            self.attention_mask.repeat_interleave(repeats, dim=0),
            spans,
        )

    def stack(self, other: "ImagePrompt", pad_token_id: int) -> "ImagePrompt":
        """This batch's rows, then `other`'s, left-padded to one length."""
        length = max(self.input_ids.shape[1], other.input_ids.shape[1])

        def left_pad(prompt: ImagePrompt) -> tuple[torch.Tensor, torch.Tensor, int]:
            pad = length - prompt.input_ids.shape[1]
            return F.pad(prompt.input_ids, (pad, 0), value=pad_token_id), F.pad(prompt.attention_mask, (pad, 0)), pad

        ids_a, mask_a, shift_a = left_pad(self)
        ids_b, mask_b, shift_b = left_pad(other)
        rows = self.input_ids.shape[0]
        spans = [ImageSpan(span.row, span.start + shift_a, span.layout) for span in self.spans]
        spans += [ImageSpan(span.row + rows, span.start + shift_b, span.layout) for span in other.spans]
        return ImagePrompt(torch.cat([ids_a, ids_b]), torch.cat([mask_a, mask_b]), spans)


def one_per_scale(name: str, value: float | Sequence[float] | None, num_scales: int) -> list:
    """A sampling setting spelled out per scale: one value repeated, or a sequence of exactly one per scale."""
    if not isinstance(value, Sequence):
        return [value] * num_scales
    if len(value) != num_scales:
        raise ValueError(
            f"{name} has {len(value)} values {list(value)}; give one value, or one per scale ({num_scales} at this "
            "level and aspect ratio)."
        )
    return list(value)


def _sample(
    scores: torch.Tensor, do_sample: bool, generator: torch.Generator | list[torch.Generator] | None
) -> torch.LongTensor:
    """One code per row of `(rows, K)` scores; with a list of generators, image i's tokens use generator i."""
    if not do_sample:
        return scores.argmax(dim=-1)
    probs = scores.softmax(dim=-1)
    if not isinstance(generator, list):
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)
    per_image = probs.view(len(generator), -1, probs.shape[-1])
    return torch.cat([torch.multinomial(rows, 1, generator=gen).squeeze(1) for rows, gen in zip(per_image, generator)])


TEXT_MODEL_TYPES = ("qwen2", "qwen2_5_vl", "qwen2_5_vl_text")


def _load_text_model(text_model: str | os.PathLike | PreTrainedModel) -> tuple[nn.Module, nn.Linear]:
    """The base language model (embeddings, layers, norm) and the output head of a Qwen2-family checkpoint."""
    if isinstance(text_model, (str, os.PathLike)):
        model_type = AutoConfig.from_pretrained(text_model).model_type
        if model_type not in TEXT_MODEL_TYPES:
            raise ValueError(
                f"from_text_model takes a Qwen2-family model ({', '.join(TEXT_MODEL_TYPES)}); {text_model} is "
                f"{model_type!r}."
            )
        loader = Qwen2_5_VLForConditionalGeneration if model_type == "qwen2_5_vl" else AutoModelForCausalLM
        text_model = loader.from_pretrained(text_model)
    if isinstance(text_model, Qwen2_5_VLForConditionalGeneration):
        return text_model.model.language_model, text_model.lm_head
    if text_model.config.model_type not in TEXT_MODEL_TYPES or not hasattr(text_model, "lm_head"):
        raise ValueError(
            f"from_text_model takes a Qwen2-family causal LM ({', '.join(TEXT_MODEL_TYPES)}); got "
            f"{type(text_model).__name__} ({text_model.config.model_type!r})."
        )
    return text_model.model, text_model.lm_head


def _qwen2_5_vl_text_config(source) -> Qwen2_5_VLTextConfig:
    """The decoder config for a Qwen2-family text config: same shape; M-RoPE sections in the [16, 24, 24]
    proportions of the head's frequency pairs when the source has none (text positions (t, t, t) make it equal to
    the source's 1-D RoPE)."""
    if isinstance(source, Qwen2_5_VLTextConfig):
        return Qwen2_5_VLTextConfig(**source.to_dict())
    head_dim = source.hidden_size // source.num_attention_heads
    pairs = head_dim // 2
    temporal = pairs // 4
    height = (pairs - temporal) // 2
    rope = dict(source.rope_parameters or {"rope_type": "default", "rope_theta": 10000.0})
    rope["mrope_section"] = [temporal, height, pairs - temporal - height]
    return Qwen2_5_VLTextConfig(
        vocab_size=source.vocab_size,
        hidden_size=source.hidden_size,
        intermediate_size=source.intermediate_size,
        num_hidden_layers=source.num_hidden_layers,
        num_attention_heads=source.num_attention_heads,
        num_key_value_heads=source.num_key_value_heads,
        hidden_act=source.hidden_act,
        max_position_embeddings=source.max_position_embeddings,
        rms_norm_eps=source.rms_norm_eps,
        attention_dropout=source.attention_dropout,
        rope_parameters=rope,
        bos_token_id=source.bos_token_id,
        eos_token_id=source.eos_token_id,
        pad_token_id=source.pad_token_id,
    )


__all__ = [
    "NextFlowCausalLMOutputWithPast",
    "NextFlowForConditionalGeneration",
    "NextFlowImageGenerationOutput",
    "NextFlowInterleavedOutput",
    "NextFlowModel",
    "NextFlowPreTrainedModel",
]
