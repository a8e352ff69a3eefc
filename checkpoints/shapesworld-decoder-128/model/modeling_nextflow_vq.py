"""NextFlowVQModel: the dual-codebook, multi-scale residual VQ tokenizer of NextFlow (TokenFlow-style).

An image becomes, per scale of a schedule, a grid of code indices. Each index selects one entry of a semantic
codebook and one of a pixel codebook (shared mapping), chosen by the weighted distance d_sem + w·d_pix.
Scales quantise the residual VAR-style: area-downsample the residual, quantise, bicubic-upsample, subtract.
Decoding sums the upsampled codes of all scales and runs the CNN pixel decoder.
"""

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.models.autoencoders.vae import Decoder, Encoder
from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers import initialization as init
from transformers.models.siglip.modeling_siglip import SiglipEncoder
from transformers.utils import ModelOutput

from .configuration_nextflow import NextFlowVQConfig
from .scales import Grid, Schedule, validate_schedule


@dataclass
class NextFlowVQEncoderOutput(ModelOutput):
    r"""
    image_tokens (`list[torch.LongTensor]`): per scale, the `(batch, h, w)` grid of top-1 code indices: the
        targets the language model learns to predict.
    input_image_tokens (`list[torch.LongTensor]`): per scale, the indices the language model reads as input.
        Equal to `image_tokens` unless self-correction replaced some of them by near misses.
    features (`torch.FloatTensor` of shape `(batch, code_dim, H, W)`): the unquantised features on the final grid,
        each branch (semantic, pixel) l2-normalised per position.
    quantized_features (`torch.FloatTensor` of shape `(batch, code_dim, H, W)`): the sum over scales of the
        upsampled input codes, with a straight-through gradient to `features`.
    residual_norms (`torch.FloatTensor` of shape `(num_scales + 1,)`): mean per-position norm of the residual
        before the first scale and after each scale.
    codebook_loss (`torch.FloatTensor`): mean over scales of ‖code − sg(residual)‖², which moves the codes.
    commitment_loss (`torch.FloatTensor`): mean over scales of ‖sg(code) − residual‖², which moves the encoder.
    codebook_usage (`torch.FloatTensor`): share of the codebook that the top-1 indices of this batch use.
    """

    image_tokens: list[torch.LongTensor] | None = None
    input_image_tokens: list[torch.LongTensor] | None = None
    features: torch.FloatTensor | None = None
    quantized_features: torch.FloatTensor | None = None
    residual_norms: torch.FloatTensor | None = None
    codebook_loss: torch.FloatTensor | None = None
    commitment_loss: torch.FloatTensor | None = None
    codebook_usage: torch.FloatTensor | None = None


@dataclass
class NextFlowVQModelOutput(ModelOutput):
    r"""
    loss (`torch.FloatTensor`): weighted sum of the training losses below.
    reconstruction_loss (`torch.FloatTensor`): mean squared error of the reconstructed pixels.
    semantic_loss (`torch.FloatTensor`, *optional*): 1 − cosine similarity of the semantic decoder's output to the
        teacher's features; present when `teacher_features` were given.
    codebook_loss, commitment_loss, codebook_usage: as in [`NextFlowVQEncoderOutput`].
    reconstruction (`torch.FloatTensor` of shape `(batch, channels, height, width)`): decoded pixels in [-1, 1].
    image_tokens (`list[torch.LongTensor]`): per scale, the top-1 index grids.
    residual_norms (`torch.FloatTensor`): as in [`NextFlowVQEncoderOutput`].
    """

    loss: torch.FloatTensor | None = None
    reconstruction_loss: torch.FloatTensor | None = None
    semantic_loss: torch.FloatTensor | None = None
    codebook_loss: torch.FloatTensor | None = None
    commitment_loss: torch.FloatTensor | None = None
    codebook_usage: torch.FloatTensor | None = None
    reconstruction: torch.FloatTensor | None = None
    image_tokens: list[torch.LongTensor] | None = None
    residual_norms: torch.FloatTensor | None = None


def vision_patch_features(
    vision_model: PreTrainedModel, pixel_values: torch.Tensor, grid: Grid, feature_layer: int = -2
) -> torch.Tensor:
    """Patch features of any transformers vision encoder on a given token grid, as `(batch, width, h, w)`.

    The image is resized so that the encoder's patch grid is `grid`; class tokens, if any, are dropped. Used for
    the tokenizer's semantic branch and for the distillation teacher alike. Pixel values are in [-1, 1], which is
    SigLIP's normalisation.
    """
    patch = vision_model.config.patch_size
    patch_h, patch_w = (patch, patch) if isinstance(patch, int) else patch
    grid_h, grid_w = grid
    size = (grid_h * patch_h, grid_w * patch_w)
    if tuple(pixel_values.shape[-2:]) != size:
        pixel_values = F.interpolate(pixel_values, size=size, mode="bicubic", align_corners=False)
    extra = {}
    if "interpolate_pos_encoding" in inspect.signature(vision_model.forward).parameters:
        extra["interpolate_pos_encoding"] = True
    outputs = vision_model(pixel_values=pixel_values, output_hidden_states=True, **extra)
    hidden = outputs.hidden_states[feature_layer][:, -grid_h * grid_w :]
    return hidden.transpose(1, 2).reshape(hidden.shape[0], hidden.shape[-1], grid_h, grid_w)


def sincos_position_embedding_2d(height: int, width: int, dim: int, device: torch.device) -> torch.Tensor:
    """Fixed 2-D sine-cosine position embedding of a `height × width` grid, `(height·width, dim)`; any grid size."""
    if dim % 4:
        raise ValueError(f"A 2-D sine-cosine embedding needs a width divisible by 4; got {dim}.")
    freqs = 1.0 / (10000 ** (torch.arange(dim // 4, device=device, dtype=torch.float32) / (dim // 4)))
    rows = torch.arange(height, device=device, dtype=torch.float32)[:, None] * freqs
    cols = torch.arange(width, device=device, dtype=torch.float32)[:, None] * freqs
    rows = rows[:, None, :].expand(height, width, -1)
    cols = cols[None, :, :].expand(height, width, -1)
    return torch.cat([rows.sin(), rows.cos(), cols.sin(), cols.cos()], dim=-1).reshape(height * width, dim)


def l2_normalize_branches(features: torch.Tensor, split: tuple[int, int]) -> torch.Tensor:
    """Puts the semantic and the pixel part of `(batch, code_dim, h, w)` features each on the unit sphere."""
    semantic, pixel = features.split(split, dim=1)
    return torch.cat([F.normalize(semantic, dim=1), F.normalize(pixel, dim=1)], dim=1)


def resize_features(features: torch.Tensor, grid: Grid, mode: str) -> torch.Tensor:
    """Area-downsamples or bicubic-upsamples `(batch, channels, h, w)` features to `grid`; a no-op on equal grids."""
    if tuple(features.shape[-2:]) == tuple(grid):
        return features
    return F.interpolate(features, size=tuple(grid), mode=mode)


class SemanticEncoder(nn.Module):
    """Semantic branch: a transformers vision encoder and a projection of its patch features to the code dim."""

    def __init__(self, config: NextFlowVQConfig):
        super().__init__()
        width = config.semantic_encoder_config.hidden_size
        self.vision_model = AutoModel.from_config(config.semantic_encoder_config)
        self.feature_layer = config.semantic_feature_layer
        self.to_codes = nn.Sequential(nn.Linear(width, width), nn.Tanh(), nn.Linear(width, config.semantic_code_dim))

    def forward(self, pixel_values: torch.Tensor, grid: Grid) -> torch.Tensor:
        features = vision_patch_features(self.vision_model, pixel_values, grid, self.feature_layer)
        return self.to_codes(features.movedim(1, -1)).movedim(-1, 1)


class SemanticDecoder(nn.Module):
    """Reconstructs the teacher's patch features from the quantised semantic codes (distillation target)."""

    def __init__(self, config: NextFlowVQConfig):
        super().__init__()
        decoder_config = config.semantic_decoder_config
        width = decoder_config.hidden_size
        self.embed = nn.Linear(config.semantic_code_dim, width)
        self.encoder = SiglipEncoder(decoder_config)
        self.norm = nn.LayerNorm(width, eps=decoder_config.layer_norm_eps)
        self.to_teacher = nn.Sequential(
            nn.Linear(width, width), nn.Tanh(), nn.Linear(width, config.semantic_teacher_dim)
        )

    def forward(self, semantic_codes: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = semantic_codes.shape
        hidden = self.embed(semantic_codes.flatten(2).transpose(1, 2))
        hidden = hidden + sincos_position_embedding_2d(height, width, hidden.shape[-1], hidden.device).to(hidden.dtype)
        hidden = self.norm(self.encoder(inputs_embeds=hidden).last_hidden_state)
        return self.to_teacher(hidden).transpose(1, 2).reshape(batch, -1, height, width)


class MultiScaleResidualQuantizer(nn.Module):
    """Shared-mapping dual codebook with VAR-style multi-scale residual quantisation, computed in fp32.

    One index selects a semantic and a pixel code; the index is argmin over codes of d_sem + w·d_pix (squared
    distances of the residual's two parts to the two codebooks).
    """

    def __init__(self, config: NextFlowVQConfig):
        super().__init__()
        self.split = (config.semantic_code_dim, config.pixel_code_dim)
        self.pixel_distance_weight = config.pixel_distance_weight
        self.semantic_codebook = nn.Parameter(torch.empty(config.codebook_size, config.semantic_code_dim))
        self.pixel_codebook = nn.Parameter(torch.empty(config.codebook_size, config.pixel_code_dim))

    @property
    def codebook_size(self) -> int:
        return self.semantic_codebook.shape[0]

    def codebook(self) -> torch.Tensor:
        """All codes as `(codebook_size, code_dim)` fp32 rows: semantic part, then pixel part."""
        return torch.cat([self.semantic_codebook, self.pixel_codebook], dim=1).float()

    def embed(self, indices: torch.LongTensor) -> torch.Tensor:
        """Codes of `indices` (any shape) as `(*indices.shape, code_dim)` fp32 vectors."""
        return F.embedding(indices, self.codebook())

    def distances(self, vectors: torch.Tensor) -> torch.Tensor:
        """d_sem + w·d_pix from each row of `(n, code_dim)` fp32 vectors to every code: `(n, codebook_size)`."""
        semantic, pixel = vectors.split(self.split, dim=1)
        semantic_distance = torch.cdist(semantic, self.semantic_codebook.float()).square()
        pixel_distance = torch.cdist(pixel, self.pixel_codebook.float()).square()
        return semantic_distance + self.pixel_distance_weight * pixel_distance

    def perturb(
        self,
        distances: torch.Tensor,
        targets: torch.LongTensor,
        fraction: float,
        top_k: int,
        generator: torch.Generator | Sequence[torch.Generator] | None,
    ) -> torch.LongTensor:
        """Self-correction inputs: a `fraction` of the tokens take a code drawn uniformly from the 2nd..k-th
        nearest instead of the nearest, so the model learns to recover from its own near misses. With one generator
        per image, image i's rows (the i-th equal share) draw from generator i, as that image alone would."""
        top_k = min(top_k, self.codebook_size)
        near_misses = distances.topk(top_k, dim=1, largest=False).indices[:, 1:]
        generators = generator if isinstance(generator, Sequence) else [generator]
        rows = targets.shape[0] // len(generators)
        rank, replace = [], []
        for image_generator in generators:
            rank.append(torch.randint(0, top_k - 1, (rows, 1), generator=image_generator, device=targets.device))
            replace.append(torch.rand(rows, generator=image_generator, device=targets.device) < fraction)
        chosen = near_misses.gather(1, torch.cat(rank)).squeeze(1)
        return torch.where(torch.cat(replace), chosen, targets)

    def forward(
        self,
        features: torch.Tensor,
        schedule: Schedule,
        self_correction: tuple[float, int] | None = None,
        generator: torch.Generator | Sequence[torch.Generator] | None = None,
    ) -> NextFlowVQEncoderOutput:
        """Quantises `(batch, code_dim, H, W)` features scale by scale; `self_correction=(fraction, top_k)`
        perturbs the input indices and computes later residuals from the perturbed choice, drawing from
        `generator`, or from one generator per image (then each image gets the draws it would get alone)."""
        if isinstance(generator, Sequence) and len(generator) != features.shape[0]:
            raise ValueError(f"Got {len(generator)} generators for a batch of {features.shape[0]} images.")
        with torch.autocast(device_type=features.device.type, enabled=False):
            features = features.float()
            final_grid = tuple(features.shape[-2:])
            residual = features
            quantized = torch.zeros_like(features)
            residual_norms = [residual.norm(dim=1).mean()]
            targets, inputs, codebook_losses, commitment_losses = [], [], [], []
            for grid in schedule:
                scale_residual = resize_features(residual, grid, mode="area")
                vectors = scale_residual.permute(0, 2, 3, 1).reshape(-1, features.shape[1])
                distances = self.distances(vectors)
                target = distances.argmin(dim=1)
                chosen = (
                    target if self_correction is None else self.perturb(distances, target, *self_correction, generator)
                )
                codes = self.embed(chosen)
                codebook_losses.append(F.mse_loss(codes, vectors.detach()))
                commitment_losses.append(F.mse_loss(vectors, codes.detach()))
                upsampled = resize_features(
                    codes.view(-1, *grid, features.shape[1]).permute(0, 3, 1, 2), final_grid, "bicubic"
                )
                quantized = quantized + upsampled
                residual = residual - upsampled.detach()
                residual_norms.append(residual.norm(dim=1).mean())
                targets.append(target.view(-1, *grid))
                inputs.append(chosen.view(-1, *grid))
            used_codes = torch.unique(torch.cat([target.flatten() for target in targets])).numel()
            return NextFlowVQEncoderOutput(
                image_tokens=targets,
                input_image_tokens=inputs,
                features=features,
                quantized_features=features + (quantized - features).detach(),
                residual_norms=torch.stack(residual_norms).detach(),
                codebook_loss=torch.stack(codebook_losses).mean(),
                commitment_loss=torch.stack(commitment_losses).mean(),
                codebook_usage=torch.tensor(used_codes / self.codebook_size, device=features.device),
            )


class NextFlowVQPreTrainedModel(PreTrainedModel):
    config: NextFlowVQConfig
    base_model_prefix = "vqmodel"
    main_input_name = "pixel_values"
    input_modalities = ("image",)
    supports_gradient_checkpointing = True
    _supports_sdpa = True
    _no_split_modules = ["MultiScaleResidualQuantizer", "SiglipEncoderLayer"]
    # The tokenizer runs in fp32 however it is loaded, as inside the decoder (`vqmodel`): a checkpoint shipped in
    # half precision is upcast, so its codes do not depend on the dtype it was stored or requested in.
    _keep_in_fp32_modules_strict = [
        "pixel_encoder",
        "pixel_decoder",
        "semantic_encoder",
        "semantic_decoder",
        "quantizer",
        "quant_conv",
        "post_quant_conv",
    ]

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, nn.Conv2d):
            init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, MultiScaleResidualQuantizer):
            # Random directions with radii uniform in [0, 1]: features sit on the unit sphere per branch, and
            # residuals shrink scale by scale, so codes of every length are needed from the start.
            for codebook in (module.semantic_codebook, module.pixel_codebook):
                directions = F.normalize(torch.randn(codebook.shape), dim=1)
                init.copy_(codebook, directions * torch.rand(codebook.shape[0], 1))


class NextFlowVQModel(NextFlowVQPreTrainedModel):
    """The NextFlow tokenizer: `encode` pixels to per-scale index grids, `decode` index grids to pixels, and
    `embed_codes` for the language model's vision input. Pixel values are `(batch, 3, H, W)` in [-1, 1], with H
    and W multiples of the downsample factor (16 in the paper's configuration)."""

    def __init__(self, config: NextFlowVQConfig):
        super().__init__(config)
        # SiglipEncoder in the semantic decoder is no PreTrainedModel, so nothing else hands it the attention choice.
        config.semantic_decoder_config._attn_implementation = config._attn_implementation
        num_stages = len(config.channel_multiplier)
        stage_channels = tuple(config.base_channels * multiplier for multiplier in config.channel_multiplier)
        self.pixel_encoder = Encoder(
            in_channels=config.in_channels,
            out_channels=config.latent_channels,
            down_block_types=("DownEncoderBlock2D",) * num_stages,
            block_out_channels=stage_channels,
            layers_per_block=config.num_res_blocks,
            norm_num_groups=config.norm_num_groups,
            double_z=False,
        )
        self.quant_conv = nn.Conv2d(config.latent_channels, config.pixel_code_dim, kernel_size=1)
        self.post_quant_conv = nn.Conv2d(config.pixel_code_dim, config.latent_channels, kernel_size=1)
        self.pixel_decoder = Decoder(
            in_channels=config.latent_channels,
            out_channels=config.in_channels,
            up_block_types=("UpDecoderBlock2D",) * num_stages,
            block_out_channels=stage_channels,
            layers_per_block=config.num_res_blocks,
            norm_num_groups=config.norm_num_groups,
        )
        self.semantic_encoder = SemanticEncoder(config)
        self.semantic_decoder = SemanticDecoder(config)
        self.quantizer = MultiScaleResidualQuantizer(config)
        self.post_init()

    @property
    def downsample_factor(self) -> int:
        return self.config.downsample_factor

    @property
    def code_split(self) -> tuple[int, int]:
        return (self.config.semantic_code_dim, self.config.pixel_code_dim)

    def check_pixel_values(self, pixel_values: torch.Tensor) -> Grid:
        """Validates an image batch and returns its token grid; raises `ValueError` naming the bad value."""
        if not isinstance(pixel_values, torch.Tensor) or pixel_values.ndim != 4:
            shape = tuple(pixel_values.shape) if isinstance(pixel_values, torch.Tensor) else type(pixel_values)
            raise ValueError(f"pixel_values must be a (batch, channels, height, width) tensor; got {shape}.")
        channels, height, width = pixel_values.shape[1:]
        if channels != self.config.in_channels:
            raise ValueError(
                f"pixel_values has {channels} channels; this tokenizer takes {self.config.in_channels} (RGB)."
            )
        factor = self.downsample_factor
        if height % factor or width % factor:
            raise ValueError(
                f"Image size {height}×{width} is not divisible by the tokenizer's downsample factor {factor}; "
                f"resize or crop to multiples of {factor} (the processor does this)."
            )
        if not torch.isfinite(pixel_values).all():
            raise ValueError("pixel_values contains NaN or infinite values.")
        return (height // factor, width // factor)

    def resolve_schedule(self, grid: Grid, schedule: Sequence[Grid] | None) -> Schedule:
        """`schedule` checked against the image's token grid, or the table's schedule that ends at that grid."""
        if schedule is None:
            return self.config.scale_table.schedule_for_grid(grid)
        schedule = validate_schedule(schedule)
        if tuple(schedule[-1]) != tuple(grid):
            raise ValueError(
                f"The schedule ends at grid {schedule[-1]}, but the image's token grid is {grid} "
                f"(image size / downsample factor {self.downsample_factor})."
            )
        return schedule

    def extract_features(self, pixel_values: torch.Tensor, grid: Grid) -> torch.Tensor:
        """Unquantised `(batch, code_dim, h, w)` features: semantic and pixel parts, each l2-normalised."""
        semantic = self.semantic_encoder(pixel_values, grid)
        pixel = self.quant_conv(self.pixel_encoder(pixel_values))
        return l2_normalize_branches(torch.cat([semantic.float(), pixel.float()], dim=1), self.code_split)

    def encode(
        self,
        pixel_values: torch.Tensor,
        schedule: Sequence[Grid] | None = None,
        self_correction: bool = False,
        generator: torch.Generator | Sequence[torch.Generator] | None = None,
    ) -> NextFlowVQEncoderOutput:
        """Per-scale index grids of an image batch.

        Args:
            pixel_values: `(batch, 3, H, W)` in [-1, 1].
            schedule: the (h, w) grids, coarse to fine, ending at `(H, W) / downsample_factor`; by default the
                schedule of the config's table that ends there.
            self_correction: also return *input* indices in which `config.self_correction_fraction` of every
                scale's tokens are replaced by one of the `config.self_correction_top_k` nearest codes; later
                residuals follow the replaced choice while the targets stay top-1.
            generator: random source of the self-correction draws, or one per image (each image then gets the
                draws it would get alone, whatever the batch).
        """
        grid = self.check_pixel_values(pixel_values)
        schedule = self.resolve_schedule(grid, schedule)
        correction = None
        if self_correction:
            correction = (self.config.self_correction_fraction, self.config.self_correction_top_k)
        features = self.extract_features(pixel_values, grid)
        return self.quantizer(features, schedule, self_correction=correction, generator=generator)

    def embed_codes(self, image_tokens: torch.LongTensor) -> torch.Tensor:
        """Code vectors of an index grid `(..., h, w)` as `(..., code_dim, h, w)`: what the decoder's adapter reads."""
        self.check_image_tokens([image_tokens.reshape(-1, *image_tokens.shape[-2:])])
        return self.quantizer.embed(image_tokens).movedim(-1, -3)

    def check_image_tokens(self, image_tokens: Sequence[torch.LongTensor]) -> None:
        """Validates per-scale `(batch, h, w)` index grids; raises `ValueError` naming the bad value."""
        if not image_tokens:
            raise ValueError("image_tokens must hold at least one scale of (batch, h, w) indices; got none.")
        validate_schedule([tuple(tokens.shape[-2:]) for tokens in image_tokens])
        for scale, tokens in enumerate(image_tokens):
            if tokens.ndim != 3 or tokens.dtype not in (torch.int32, torch.int64):
                raise ValueError(
                    f"Scale {scale}: image tokens must be an integer (batch, h, w) tensor; "
                    f"got {tokens.dtype} of shape {tuple(tokens.shape)}."
                )
            if tokens.shape[0] != image_tokens[0].shape[0]:
                raise ValueError(f"Scale {scale} has batch {tokens.shape[0]}; scale 0 has {image_tokens[0].shape[0]}.")
            if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.quantizer.codebook_size):
                raise ValueError(
                    f"Scale {scale} holds code indices outside [0, {self.quantizer.codebook_size}): "
                    f"min {int(tokens.min())}, max {int(tokens.max())}."
                )

    def codes_to_features(
        self, image_tokens: Sequence[torch.LongTensor], final_grid: Grid | None = None
    ) -> torch.Tensor:
        """Sum over scales of the bicubic-upsampled codes, on `final_grid` (default: the last scale's grid):
        `(batch, code_dim, h, w)`. A larger `final_grid` previews an image whose finer scales are not drawn yet."""
        self.check_image_tokens(image_tokens)
        final_grid = tuple(image_tokens[-1].shape[-2:]) if final_grid is None else tuple(final_grid)
        codes = (self.quantizer.embed(tokens).movedim(-1, -3) for tokens in image_tokens)
        return sum(resize_features(scale_codes, final_grid, "bicubic") for scale_codes in codes)

    def decode_features(self, features: torch.Tensor) -> torch.Tensor:
        """Pixels `(batch, 3, H, W)` from quantised features: the pixel part through the CNN decoder."""
        pixel_codes = features.split(self.code_split, dim=1)[1]
        latents = self.post_quant_conv(pixel_codes.to(self.post_quant_conv.weight.dtype))
        return self.pixel_decoder(latents)

    def decode(self, image_tokens: Sequence[torch.LongTensor], final_grid: Grid | None = None) -> torch.Tensor:
        """Pixels `(batch, 3, H, W)` in about [-1, 1] from per-scale index grids; H, W = final grid × downsample
        (`final_grid` defaults to the last scale's grid)."""
        return self.decode_features(self.codes_to_features(image_tokens, final_grid))

    def forward(
        self,
        pixel_values: torch.Tensor,
        schedule: Sequence[Grid] | None = None,
        teacher_features: torch.Tensor | None = None,
        return_dict: bool | None = None,
    ) -> NextFlowVQModelOutput | tuple:
        """Encode, quantise and decode, returning the training losses.

        Args:
            pixel_values: `(batch, 3, H, W)` in [-1, 1].
            schedule: as in [`encode`].
            teacher_features: `(batch, teacher_dim, h, w)` patch features of the semantic teacher on the image's
                token grid (see [`vision_patch_features`]); when given, the semantic distillation loss is added.
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        encoded = self.encode(pixel_values, schedule)
        reconstruction = self.decode_features(encoded.quantized_features)
        reconstruction_loss = F.mse_loss(reconstruction.float(), pixel_values.float())
        loss = (
            self.config.reconstruction_loss_weight * reconstruction_loss
            + encoded.codebook_loss
            + self.config.commitment_beta * encoded.commitment_loss
        )
        semantic_loss = None
        if teacher_features is not None:
            semantic_codes = encoded.quantized_features.split(self.code_split, dim=1)[0]
            predicted = self.semantic_decoder(semantic_codes)
            if predicted.shape != teacher_features.shape:
                raise ValueError(
                    f"teacher_features has shape {tuple(teacher_features.shape)}; expected {tuple(predicted.shape)} "
                    "(batch, semantic_teacher_dim, h, w) on the image's token grid."
                )
            semantic_loss = 1 - F.cosine_similarity(predicted.float(), teacher_features.float(), dim=1).mean()
            loss = loss + self.config.semantic_loss_weight * semantic_loss
        output = NextFlowVQModelOutput(
            loss=loss,
            reconstruction_loss=reconstruction_loss,
            semantic_loss=semantic_loss,
            codebook_loss=encoded.codebook_loss,
            commitment_loss=encoded.commitment_loss,
            codebook_usage=encoded.codebook_usage,
            reconstruction=reconstruction,
            image_tokens=encoded.image_tokens,
            residual_norms=encoded.residual_norms,
        )
        return output if return_dict else output.to_tuple()


__all__ = ["NextFlowVQModel", "NextFlowVQPreTrainedModel", "vision_patch_features"]
