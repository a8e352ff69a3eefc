"""Configurations of NextFlow: the dual-codebook multi-scale VQ tokenizer and the unified decoder around it."""

from __future__ import annotations

from typing import Any

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig, Qwen2_5_VLTextConfig, SiglipVisionConfig
from transformers.configuration_utils import SubConfigSpec

from .scales import ScaleScheduleTable

# The 7B preset's semantic encoder: SigLIP so400m shape with 16-pixel patches, so its patch grid is the CNN grid.
SIGLIP_SO400M_PATCH16 = dict(
    hidden_size=1152,
    intermediate_size=4304,
    num_hidden_layers=27,
    num_attention_heads=16,
    patch_size=16,
    image_size=384,
    vision_use_head=False,
)
# The 7B preset's semantic decoder (distillation only): TokenFlow's 3 transformer layers at the encoder's width.
SEMANTIC_DECODER_SO400M = dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=3, num_attention_heads=16)


@strict
class NextFlowVQConfig(PreTrainedConfig):
    r"""
    Configuration of [`NextFlowVQModel`], the TokenFlow-style tokenizer: a CNN pixel branch and a transformers
    vision-encoder semantic branch whose features are quantised together, scale by scale, with one shared index
    into a semantic and a pixel codebook. Defaults are the paper-scale tokenizer (K=32768, 32 + 8 code dims,
    16× downsampling, Table 14 schedules).

    Args:
        codebook_size (`int`): number of codes K shared by the two codebooks.
        semantic_code_dim (`int`): dimension of a semantic code.
        pixel_code_dim (`int`): dimension of a pixel code.
        pixel_distance_weight (`float`): w in the code choice argmin(d_sem + w·d_pix).
        in_channels (`int`): image channels.
        base_channels (`int`): channels of the first CNN stage.
        channel_multiplier (`tuple[int]`): per-stage channel multipliers; each stage after the first halves the
            resolution, so the downsample factor is 2^(stages - 1).
        num_res_blocks (`int`): residual blocks per CNN stage.
        norm_num_groups (`int`): GroupNorm groups of the CNN (must divide every stage's channels).
        latent_channels (`int`): channels at the CNN bottleneck, before the projection to the pixel code dim.
        semantic_encoder_config (`dict` or `PreTrainedConfig`): any transformers vision encoder; SigLIP by default.
        semantic_feature_layer (`int`): which hidden state of the semantic encoder feeds the codes (-2: penultimate).
        semantic_teacher_dim (`int`, *optional*): width of the teacher features the semantic decoder reconstructs;
            defaults to the semantic encoder's width.
        semantic_decoder_config (`dict` or `SiglipVisionConfig`): width and depth of the transformer that
            reconstructs the teacher's features from the semantic codes (used for distillation only).
        scale_schedules (`dict[str, list]`, *optional*): aspect ratio (h / w, as a string) → full schedule of
            (h, w) grids. `None` means the paper's Table 14.
        scale_levels (`dict[str, int]`, *optional*): level → number of steps; `None` means 256/512/1024 → 12/16/18.
        self_correction_fraction (`float`): share of tokens per scale whose *input* index is replaced by a near
            miss when indices are extracted for training with self-correction.
        self_correction_top_k (`int`): the replacement is drawn from the top-k nearest codes (the top-1 excluded).
        commitment_beta (`float`): weight of the commitment loss.
        reconstruction_loss_weight (`float`): weight of the pixel reconstruction loss.
        semantic_loss_weight (`float`): weight of the semantic distillation loss.
        initializer_range (`float`): std of the normal initialisation of linear layers.
    """

    model_type = "nextflow_vq"
    base_config_key = "vq_config"
    sub_configs_defaults = {
        "semantic_encoder_config": SubConfigSpec(
            AutoConfig, model_type="siglip_vision_model", init_kwargs=SIGLIP_SO400M_PATCH16
        ),
        "semantic_decoder_config": SubConfigSpec(SiglipVisionConfig, init_kwargs=SEMANTIC_DECODER_SO400M),
    }

    codebook_size: int = 32768
    semantic_code_dim: int = 32
    pixel_code_dim: int = 8
    pixel_distance_weight: float = 1.0
    in_channels: int = 3
    base_channels: int = 128
    channel_multiplier: list[int] | tuple[int, ...] = (1, 1, 2, 2, 4)
    num_res_blocks: int = 2
    norm_num_groups: int = 32
    latent_channels: int = 256
    semantic_encoder_config: dict | PreTrainedConfig | None = None
    semantic_feature_layer: int = -2
    semantic_teacher_dim: int | None = None
    semantic_decoder_config: dict | PreTrainedConfig | None = None
    scale_schedules: dict[str, list] | None = None
    scale_levels: dict[str, int] | None = None
    self_correction_fraction: float = 0.6
    self_correction_top_k: int = 4
    commitment_beta: float = 0.25
    reconstruction_loss_weight: float = 1.0
    semantic_loss_weight: float = 1.0
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        if self.semantic_teacher_dim is None:
            self.semantic_teacher_dim = self.semantic_encoder_config.hidden_size
        self.validate_tokenizer()

    def validate_tokenizer(self) -> None:
        """Raises `ValueError` on settings that cannot build a working tokenizer."""
        if self.codebook_size < 2:
            raise ValueError(f"codebook_size must be at least 2; got {self.codebook_size}.")
        if not 0.0 <= self.self_correction_fraction <= 1.0:
            raise ValueError(f"self_correction_fraction must lie in [0, 1]; got {self.self_correction_fraction}.")
        if not 2 <= self.self_correction_top_k <= self.codebook_size:
            raise ValueError(
                f"self_correction_top_k must lie in [2, codebook_size={self.codebook_size}]; "
                f"got {self.self_correction_top_k}."
            )
        for multiplier in self.channel_multiplier:
            if (self.base_channels * multiplier) % self.norm_num_groups:
                raise ValueError(
                    f"norm_num_groups={self.norm_num_groups} must divide every CNN stage's channels "
                    f"(base_channels={self.base_channels} × channel_multiplier={list(self.channel_multiplier)})."
                )
        ScaleScheduleTable.from_config(self.scale_schedules, self.scale_levels)  # raises on a malformed table

    @property
    def downsample_factor(self) -> int:
        """Pixels per token side: each CNN stage after the first halves the resolution."""
        return 2 ** (len(self.channel_multiplier) - 1)

    @property
    def code_dim(self) -> int:
        """Width of one code as the language model's adapter sees it: semantic and pixel parts concatenated."""
        return self.semantic_code_dim + self.pixel_code_dim

    @property
    def scale_table(self) -> ScaleScheduleTable:
        return ScaleScheduleTable.from_config(self.scale_schedules, self.scale_levels)


VISION_INPUTS = ("residual", "accumulated")


@strict
class NextFlowConfig(PreTrainedConfig):
    r"""
    Configuration of the NextFlow decoder: transformers' Qwen2.5-VL language model (`text_config`) reading and
    writing one vocabulary of text tokens, `<boi>`, `<eoi>` and K vision codes, with the VQ tokenizer
    (`vq_config`) inside.

    The vocabulary is laid out as `[text tokens][<boi>][<eoi>][K vision codes]`. `text_vocab_size` keeps the
    size of the text part; `text_config.vocab_size` is set to the full size, because the embedding and the one
    shared output head cover all of it.

    Args:
        text_config (`dict` or `Qwen2_5_VLTextConfig`): the language model; Qwen2.5-VL-7B's `text_config` loads as is.
        vq_config (`dict` or `NextFlowVQConfig`): the tokenizer.
        text_vocab_size (`int`, *optional*): size of the text vocabulary; defaults to `text_config.vocab_size`.
        image_token_id (`int`, *optional*): the text token that holds an image's place in processor output
            (`<|image_pad|>` in Qwen's vocabulary); the model fills those positions with the image's codes.
        scale_loss_alpha (`float`): α of the per-scale vision loss weight (h·w)^-α; 0 gives plain cross-entropy.
        vision_input (`str`): what block B_k reads. `"residual"` (the paper's): the codes of scale k alone,
            bicubic-upsampled to the block's grid. `"accumulated"` (VAR's): the sum of the codes of scales 1..k,
            bicubic-upsampled to the final grid, area-downsampled to the block's grid, i.e. the image drawn so far.
    """

    model_type = "nextflow"
    sub_configs_defaults = {
        "text_config": SubConfigSpec(AutoConfig, model_type="qwen2_5_vl_text"),
        "vq_config": NextFlowVQConfig,
    }

    text_config: dict | PreTrainedConfig | None = None
    vq_config: dict | PreTrainedConfig | None = None
    text_vocab_size: int | None = None
    image_token_id: int | None = None
    scale_loss_alpha: float = 0.9
    vision_input: str = "residual"
    tie_word_embeddings: bool = False

    def __post_init__(self, **kwargs: Any) -> None:
        super().__post_init__(**kwargs)
        if self.text_vocab_size is None:
            self.text_vocab_size = self.text_config.vocab_size
        self.text_config.vocab_size = self.vocab_size
        if self.scale_loss_alpha < 0:
            raise ValueError(f"scale_loss_alpha must be >= 0; got {self.scale_loss_alpha}.")
        if self.vision_input not in VISION_INPUTS:
            raise ValueError(f"vision_input must be one of {VISION_INPUTS}; got {self.vision_input!r}.")
        if self.image_token_id is not None and not 0 <= self.image_token_id < self.text_vocab_size:
            raise ValueError(
                f"image_token_id {self.image_token_id} must be a text token id in [0, {self.text_vocab_size})."
            )

    @property
    def boi_token_id(self) -> int:
        return self.text_vocab_size

    @property
    def eoi_token_id(self) -> int:
        return self.text_vocab_size + 1

    @property
    def vision_token_offset(self) -> int:
        """Token id of vision code 0."""
        return self.text_vocab_size + 2

    @property
    def vocab_size(self) -> int:
        return self.text_vocab_size + 2 + self.vq_config.codebook_size

    @classmethod
    def nextflow_7b(cls, **kwargs: Any) -> NextFlowConfig:
        """The paper's shape: Qwen2.5-VL-7B's language model (28 layers, d=3584, 28/4 heads, FFN 18944, text
        vocabulary 152064, M-RoPE sections [16, 24, 24]) with a K=32768, 32 + 8 dim tokenizer on Table 14."""
        text_config = Qwen2_5_VLTextConfig(
            vocab_size=152064,
            hidden_size=3584,
            intermediate_size=18944,
            num_hidden_layers=28,
            num_attention_heads=28,
            num_key_value_heads=4,
            max_position_embeddings=128000,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [16, 24, 24]},
            bos_token_id=151643,
            eos_token_id=151645,
        )
        return cls(text_config=text_config, vq_config=NextFlowVQConfig(), **{"image_token_id": 151655, **kwargs})

    @classmethod
    def tiny(cls, **kwargs: Any) -> NextFlowConfig:
        """A model for tests that builds and runs on a CPU in well under a second: 2 layers, d=64, a 64-code
        tokenizer with 4× downsampling, and a small schedule table (16 and 32 pixel levels, 1:1 and 1:2). Token ids
        0-3 are bos, eos, pad and the image placeholder; text ids end at 95, so `<boi>` is 96 and `<eoi>` 97."""
        text_config = Qwen2_5_VLTextConfig(
            vocab_size=96,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=1024,
            rms_norm_eps=1e-6,
            # M-RoPE gives the row and column sections the lowest frequencies; with 8 frequency pairs per head,
            # theta 10 keeps them fast enough to tell neighbouring grid cells apart.
            rope_parameters={"rope_type": "default", "rope_theta": 10.0, "mrope_section": [2, 3, 3]},
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=2,
        )
        return cls(text_config=text_config, vq_config=tiny_vq_config(), **{"image_token_id": 3, **kwargs})

    @classmethod
    def shapesworld(cls, **kwargs: Any) -> NextFlowConfig:
        """The ShapesWorld checkpoints' shape: an 8-layer, d=256 Qwen2.5-VL decoder (4/2 heads of 64, FFN 704) over
        the word-level ShapesWorld vocabulary (256 text ids, `shapesworld.vocabulary`) and `shapesworld_vq_config`.
        Token ids 0-3 are bos, eos, pad and the image placeholder, as in the tokenizer."""
        return cls(
            text_config=shapesworld_text_config(hidden_size=256, intermediate_size=704, num_hidden_layers=8),
            vq_config=shapesworld_vq_config(),
            **{"image_token_id": 3, **kwargs},
        )

    @classmethod
    def shapesworld_large(cls, **kwargs: Any) -> NextFlowConfig:
        """`shapesworld` three times larger (a 12-layer, d=384 decoder, 6/2 heads of 64, FFN 1024; 20M parameters),
        for the GPU recipe: the base decoder trains at about 190k tokens/s on an H100, some 1% of its arithmetic, so
        more parameters cost little more time per step. It still draws a 256×256 image in about 1.5 s on 2 CPU cores
        (CFG 3); its fp16 checkpoint with the tokenizer is about 48 MB."""
        return cls(
            text_config=shapesworld_text_config(hidden_size=384, intermediate_size=1024, num_hidden_layers=12),
            vq_config=shapesworld_vq_config(),
            **{"image_token_id": 3, **kwargs},
        )


def shapesworld_text_config(hidden_size: int, intermediate_size: int, num_hidden_layers: int) -> Qwen2_5_VLTextConfig:
    """The ShapesWorld decoders' text config at a given width and depth: heads of 64 (2 key/value heads), the
    256-id word-level vocabulary and M-RoPE with a small theta."""
    return Qwen2_5_VLTextConfig(
        vocab_size=256,
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=hidden_size // 64,
        num_key_value_heads=2,
        # A story of five 256×256 images is about 5,800 tokens; packed training rows reach 8192.
        max_position_embeddings=8192,
        rms_norm_eps=1e-6,
        # As in `tiny`: a small theta keeps the row and column sections fast enough to tell grid cells apart.
        rope_parameters={"rope_type": "default", "rope_theta": 10.0, "mrope_section": [8, 12, 12]},
        bos_token_id=0,
        eos_token_id=1,
        pad_token_id=2,
    )


def shapesworld_vq_config(**kwargs: Any) -> NextFlowVQConfig:
    """The tokenizer of the ShapesWorld checkpoints: the paper's 16× downsampling and Table 14 schedules at the 64,
    128 and 256 levels (4, 8 and 12 scales), 1024 codes of 16 + 8 dims, a slim CNN and a 3-layer SigLIP semantic
    encoder distilled from a 128-wide teacher."""
    semantic_encoder = SiglipVisionConfig(
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=3,
        num_attention_heads=4,
        patch_size=16,
        image_size=128,
        vision_use_head=False,
    )
    semantic_decoder = SiglipVisionConfig(
        hidden_size=128, intermediate_size=256, num_hidden_layers=1, num_attention_heads=4
    )
    defaults = dict(
        codebook_size=1024,
        semantic_code_dim=16,
        pixel_code_dim=8,
        base_channels=32,
        channel_multiplier=(1, 1, 2, 2, 4),
        num_res_blocks=1,
        norm_num_groups=8,
        latent_channels=64,
        semantic_encoder_config=semantic_encoder,
        semantic_decoder_config=semantic_decoder,
        semantic_teacher_dim=128,
        scale_levels={"64": 4, "128": 8, "256": 12},
    )
    return NextFlowVQConfig(**{**defaults, **kwargs})


def tiny_vq_config(**kwargs: Any) -> NextFlowVQConfig:
    """The tokenizer of `NextFlowConfig.tiny()`: 4× downsampling, 64 codes of 8 + 4 dims, a 2-layer SigLIP."""
    semantic_encoder = SiglipVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        patch_size=4,
        image_size=16,
        vision_use_head=False,
    )
    semantic_decoder = SiglipVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2
    )
    defaults = dict(
        codebook_size=64,
        semantic_code_dim=8,
        pixel_code_dim=4,
        base_channels=16,
        channel_multiplier=(1, 2, 2),
        num_res_blocks=1,
        norm_num_groups=8,
        latent_channels=16,
        semantic_encoder_config=semantic_encoder,
        semantic_decoder_config=semantic_decoder,
        scale_schedules={
            "0.500": [[1, 1], [1, 2], [2, 3], [2, 4], [3, 6], [4, 8]],
            "1.000": [[1, 1], [2, 2], [3, 3], [4, 4], [6, 6], [8, 8]],
        },
        scale_levels={"16": 4, "32": 6},
    )
    return NextFlowVQConfig(**{**defaults, **kwargs})
