"""NextFlowForConditionalGeneration: masks, losses, the per-scale KV-cache path, generation and its errors."""

import pytest
import torch
import torch.nn.functional as F

from nextflow_hf.modeling.sequence_layout import IGNORE_INDEX, find_image_spans

from ..sequences import caption_then_image, placeholder_sequence, random_codes, tiny_nextflow

PROMPT = [0, 10, 11, 12]


def image_layout(model, level: int = 16, aspect_ratio: float = 1.0, context: bool = False):
    schedule = model.config.vq_config.scale_table.get_schedule(level, aspect_ratio)
    return model.model.image_layout(schedule, context=context)


def generated_sequence(model, prompt: list[int], output) -> tuple[torch.Tensor, torch.Tensor]:
    """`prompt <boi> B_1 … B_{K-1} <eoi>` holding the generated codes of the first image of `output`."""
    config = model.config
    layout = model.model.image_layout([tuple(t.shape[-2:]) for t in output.image_tokens], context=False)
    span = layout.token_ids(
        [t[0] for t in output.image_tokens], config.vision_token_offset, config.boi_token_id, config.eoi_token_id
    )
    return torch.cat([torch.tensor(prompt), span])[None], torch.tensor([list(layout.schedule[-1])])


@pytest.mark.parametrize("vision_input", ["residual", "accumulated"])
@pytest.mark.parametrize("attn_implementation", ["eager", "sdpa"])
@pytest.mark.parametrize("level, aspect_ratio", [(16, 1.0), (32, 0.5)])
def test_teacher_forced_logits_equal_the_per_scale_kv_cache_logits(
    attn_implementation, level, aspect_ratio, vision_input
):
    model = tiny_nextflow(vision_input=vision_input)
    model.set_attn_implementation(attn_implementation)
    output = model.generate_image(
        torch.tensor([PROMPT]),
        level=level,
        aspect_ratio=aspect_ratio,
        output_logits=True,
        generator=torch.Generator().manual_seed(0),
    )
    ids, grids = generated_sequence(model, PROMPT, output)
    with torch.no_grad():
        logits = model(ids, image_grids=grids).logits[0]
    num_targets = sum(t[0].numel() for t in output.image_tokens)
    teacher_forced = logits[len(PROMPT) : len(PROMPT) + num_targets, model.config.vision_token_offset :]
    incremental = torch.cat([scale_logits[0] for scale_logits in output.logits])
    torch.testing.assert_close(teacher_forced, incremental, atol=1e-5, rtol=0)


@pytest.mark.parametrize("context", [False, True])
def test_each_block_reads_the_codes_of_its_scale_or_the_image_drawn_so_far(context):
    residual, accumulated = tiny_nextflow(), tiny_nextflow(vision_input="accumulated")
    layout = image_layout(residual, level=32, aspect_ratio=0.5, context=context)
    codes = [grid[None] for grid in random_codes(layout, seed=3)]
    vqmodel = residual.model.vqmodel
    for block, grid in enumerate(layout.block_grids, start=1):
        own_scale = F.interpolate(vqmodel.embed_codes(codes[block - 1]), size=grid, mode="bicubic")
        drawn = vqmodel.codes_to_features(codes[:block], final_grid=layout.schedule[-1])
        torch.testing.assert_close(residual.model.block_features(codes, layout, block), own_scale)
        torch.testing.assert_close(
            accumulated.model.block_features(codes, layout, block), F.adaptive_avg_pool2d(drawn, grid)
        )
    if context:  # the context block B_K reads the whole reconstruction, which the tokenizer decodes
        torch.testing.assert_close(accumulated.model.block_features(codes, layout, layout.num_scales), drawn)


def test_the_mask_lets_each_token_see_exactly_what_the_design_says():
    model = tiny_nextflow()
    model.set_attn_implementation("eager")
    layout = image_layout(model)
    ids, _ = caption_then_image(model.config, PROMPT, layout, random_codes(layout, seed=0))
    ids = torch.cat([ids, torch.tensor([20, 21])])[None]
    spans = find_image_spans(
        ids,
        torch.tensor([[4, 4]]),
        model.config.vq_config.scale_table,
        model.config.boi_token_id,
        model.config.eoi_token_id,
    )
    from nextflow_hf.modeling.sequence_layout import block_sequence_ids

    embeds = torch.zeros(1, ids.shape[1], 8)
    mask = model.model.block_causal_mask(
        embeds, torch.ones_like(ids), None, block_sequence_ids(ids.shape, spans, "cpu")
    )
    visible = mask[0, 0] == 0
    block_of = {}  # position -> block number; <boi>, <eoi> and text have none
    start = len(PROMPT) + 1
    for block, (h, w) in enumerate(layout.block_grids, start=1):
        for position in range(start, start + h * w):
            block_of[position] = block
        start += h * w
    for query in range(ids.shape[1]):
        for key in range(ids.shape[1]):
            same_block = query in block_of and block_of.get(key) == block_of[query]
            assert bool(visible[query, key]) == (key <= query or same_block), (query, key)


def test_eager_and_sdpa_agree_on_a_sequence_with_text_and_an_image():
    layout = None
    logits = {}
    for implementation in ("eager", "sdpa"):
        model = tiny_nextflow()
        model.set_attn_implementation(implementation)
        layout = layout or image_layout(model, level=32, aspect_ratio=0.5, context=True)
        ids, _ = caption_then_image(model.config, PROMPT, layout, random_codes(layout, seed=1))
        with torch.no_grad():
            logits[implementation] = model(ids[None], image_grids=torch.tensor([[4, 8]])).logits
    torch.testing.assert_close(logits["eager"], logits["sdpa"], atol=1e-5, rtol=1e-5)


def test_loss_is_text_plus_scale_weighted_vision_cross_entropy():
    model = tiny_nextflow()
    layout = image_layout(model)
    targets = random_codes(layout, seed=2)
    ids, labels = caption_then_image(model.config, PROMPT, layout, targets)
    labels[2:4] = torch.tensor(PROMPT[2:4])  # also train two prompt tokens
    output = model(ids[None], image_grids=torch.tensor([[4, 4]]), labels=labels[None])
    assert torch.allclose(output.loss, output.text_loss + output.vision_loss)

    offset = model.config.vision_token_offset
    logits, shifted = output.logits[0, :-1], labels[1:]
    text = (shifted >= 0) & (shifted < offset)
    expected_text = F.cross_entropy(logits[text][:, :offset], shifted[text])
    torch.testing.assert_close(output.text_loss, expected_text)

    sizes = torch.tensor([h * w for h, w in layout.schedule], dtype=torch.float)
    raw = sizes**-0.9
    per_scale = raw * sizes.sum() / (sizes * raw).sum()
    token_weights = torch.repeat_interleave(per_scale, sizes.long())
    vision = shifted >= offset
    per_token = F.cross_entropy(logits[vision][:, offset:], shifted[vision] - offset, reduction="none")
    torch.testing.assert_close(output.vision_loss, (per_token * token_weights).mean())


def test_alpha_zero_gives_plain_vision_cross_entropy():
    model = tiny_nextflow(scale_loss_alpha=0.0)
    layout = image_layout(model)
    ids, labels = caption_then_image(model.config, PROMPT, layout, random_codes(layout, seed=3))
    output = model(ids[None], image_grids=torch.tensor([[4, 4]]), labels=labels[None])
    offset = model.config.vision_token_offset
    shifted = labels[1:]
    vision = shifted >= offset
    plain = F.cross_entropy(output.logits[0, :-1][vision][:, offset:], shifted[vision] - offset)
    torch.testing.assert_close(output.vision_loss, plain)


def test_placeholder_labels_inside_an_image_span_are_ignored():
    model = tiny_nextflow()
    layout = image_layout(model)
    ids, _ = caption_then_image(model.config, PROMPT, layout, random_codes(layout, seed=4))
    as_input = ids.clone()  # a processor's labels = input_ids: <boi>, block ids, <eoi>
    as_input[len(PROMPT) + 1 : -1] = model.config.image_token_id
    only_boi = as_input.clone()  # the same text labels, nothing inside the image
    only_boi[len(PROMPT) + 1 :] = IGNORE_INDEX
    grids = torch.tensor([[4, 4]])
    with_placeholders = model(ids[None], image_grids=grids, labels=as_input[None])
    reference = model(ids[None], image_grids=grids, labels=only_boi[None])
    assert with_placeholders.vision_loss == 0
    torch.testing.assert_close(with_placeholders.text_loss, reference.text_loss)


def test_batched_prompts_of_unequal_length_give_the_images_of_one_at_a_time():
    model = tiny_nextflow()
    prompts = [[0, 10, 11], [0, 20, 21, 22, 23, 24]]
    padded = torch.tensor([[2, 2, 2] + prompts[0], prompts[1]])
    mask = torch.tensor([[0, 0, 0, 1, 1, 1], [1] * 6])
    settings = dict(level=16, guidance_scale=50.0, top_k=20, num_images_per_prompt=2)  # the negative branch counts
    batched = model.generate_image(
        padded, attention_mask=mask, generator=[torch.Generator().manual_seed(seed) for seed in range(4)], **settings
    )
    for index, prompt in enumerate(prompts):
        alone = model.generate_image(
            torch.tensor([prompt]),
            generator=[torch.Generator().manual_seed(seed) for seed in (2 * index, 2 * index + 1)],
            **settings,
        )
        for scale, (batch_tokens, single_tokens) in enumerate(zip(batched.image_tokens, alone.image_tokens)):
            assert torch.equal(batch_tokens[2 * index : 2 * index + 2], single_tokens), (index, scale)


def test_a_fixed_seed_reproduces_an_image_and_another_seed_does_not():
    model = tiny_nextflow()
    prompt = torch.tensor([PROMPT])

    def draw(seed: int) -> torch.Tensor:
        output = model.generate_image(
            prompt, level=32, guidance_scale=2.0, generator=torch.Generator().manual_seed(seed)
        )
        return torch.cat([tokens.flatten() for tokens in output.image_tokens])

    assert torch.equal(draw(7), draw(7))
    assert not torch.equal(draw(7), draw(8))


def test_a_tiny_model_overfits_one_caption_image_pair_and_regenerates_its_codes():
    model = tiny_nextflow().train()
    layout = image_layout(model)
    targets = random_codes(layout, seed=5)
    ids, labels = caption_then_image(model.config, PROMPT, layout, targets)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        loss = model(ids[None], image_grids=torch.tensor([[4, 4]]), labels=labels[None]).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    output = model.generate_image(torch.tensor([PROMPT]), level=16, do_sample=False)
    for generated, target in zip(output.image_tokens, targets):
        assert torch.equal(generated[0], target)
    with torch.no_grad():
        next_token = model(torch.tensor([PROMPT])).logits[0, -1, : model.config.vision_token_offset].argmax()
    assert next_token == model.config.boi_token_id  # the text learnt to ask for a picture


def test_text_generation_after_an_image_matches_the_teacher_forced_forward():
    model = tiny_nextflow()
    layout = image_layout(model, level=32, aspect_ratio=0.5, context=True)
    ids, _ = caption_then_image(model.config, PROMPT, layout, random_codes(layout, seed=6))
    prompt = torch.cat([ids, torch.tensor([30, 31])])[None]
    grids = torch.tensor([[4, 8]])
    generated = model.generate(prompt, image_grids=grids, max_new_tokens=4, do_sample=False, eos_token_id=None)
    assert generated.shape == (1, prompt.shape[1] + 4) and torch.equal(generated[:, : prompt.shape[1]], prompt)
    new_tokens = generated[0, prompt.shape[1] :]
    assert (new_tokens < model.config.boi_token_id).all()  # text mode never samples codes or <eoi>
    with torch.no_grad():
        logits = model(generated[:, :-1], image_grids=grids).logits[0, prompt.shape[1] - 1 :]
    logits[:, model.config.eoi_token_id :] = float("-inf")
    assert torch.equal(logits.argmax(dim=-1), new_tokens)


def test_understanding_reads_pixels_through_placeholders():
    model = tiny_nextflow()
    layout = image_layout(model, context=True)
    config = model.config
    placeholders = placeholder_sequence(config, PROMPT, layout, suffix=[30])
    pixels = torch.rand(1, 3, 16, 16) * 2 - 1
    codes = model.vqmodel.encode(pixels).image_tokens
    explicit, _ = caption_then_image(config, PROMPT, layout, [c[0] for c in codes])
    explicit = torch.cat([explicit, torch.tensor([30])])[None]
    grids = torch.tensor([[4, 4]])
    with torch.no_grad():
        from_pixels = model(placeholders, pixel_values=pixels, image_grids=grids).logits
        from_codes = model(explicit, image_grids=grids).logits
    torch.testing.assert_close(from_pixels, from_codes)
    answer = model.generate(placeholders, pixel_values=pixels, image_grids=grids, max_new_tokens=3, do_sample=False)
    assert answer.shape[1] > placeholders.shape[1]


def test_gradient_checkpointing_gives_the_same_loss_and_gradients():
    layout = None
    results = []
    for checkpointing in (False, True):
        model = tiny_nextflow().train()
        layout = layout or image_layout(model)
        if checkpointing:
            model.activation_checkpointing_enable()
            assert model.model.language_model.gradient_checkpointing
        ids, labels = caption_then_image(model.config, PROMPT, layout, random_codes(layout, seed=7))
        loss = model(ids[None], image_grids=torch.tensor([[4, 4]]), labels=labels[None]).loss
        loss.backward()
        results.append((loss.detach(), model.model.language_model.layers[0].self_attn.q_proj.weight.grad))
    torch.testing.assert_close(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1])


def test_the_tokenizer_stays_in_fp32_when_the_model_loads_in_bfloat16(tmp_path):
    tiny_nextflow().save_pretrained(tmp_path)
    from nextflow_hf.modeling import NextFlowForConditionalGeneration

    model = NextFlowForConditionalGeneration.from_pretrained(tmp_path, dtype=torch.bfloat16)
    assert model.lm_head.weight.dtype == torch.bfloat16
    assert {p.dtype for p in model.vqmodel.parameters()} == {torch.float32}
    output = model.generate_image(torch.tensor([PROMPT]), level=16, generator=torch.Generator().manual_seed(0))
    assert model.decode_image_tokens(output.image_tokens).shape == (1, 3, 16, 16)


def test_decode_image_tokens_gives_pixels_of_the_bucket_size():
    model = tiny_nextflow()
    output = model.generate(torch.tensor([PROMPT]), generation_mode="image", level=32, aspect_ratio=0.5)
    assert [tuple(t.shape) for t in output.image_tokens][-1] == (1, 4, 8)
    assert model.decode_image_tokens(output.image_tokens).shape == (1, 3, 16, 32)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(level=64), "Unknown level 64"),
        (dict(aspect_ratio=4.0), "Aspect ratio 4 "),
        (dict(generator=[torch.Generator()] * 3), "3 generators for 1 images"),
        (dict(negative_input_ids=torch.ones(2, 3, dtype=torch.long), guidance_scale=2.0), "2 negative prompts"),
    ],
)
def test_bad_image_generation_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_nextflow().generate_image(torch.tensor([PROMPT]), **kwargs)


def test_a_prompt_longer_than_the_context_is_refused():
    model = tiny_nextflow()
    too_long = torch.full((1, model.config.text_config.max_position_embeddings + 1), 10)
    with pytest.raises(ValueError, match="more than the model's context of 1024"):
        model(too_long)
    with pytest.raises(ValueError, match="more than the model's context"):
        model.generate_image(too_long[:, :1000], level=32)


def test_more_images_than_placeholders_is_refused():
    model = tiny_nextflow()
    layout = image_layout(model, context=True)
    config = model.config
    ids = placeholder_sequence(config, PROMPT, layout, suffix=[])
    with pytest.raises(ValueError, match="1 image placeholder span.* but 2 image"):
        model(ids, pixel_values=torch.zeros(2, 3, 16, 16), image_grids=torch.tensor([[4, 4]]))
    with pytest.raises(ValueError, match="holds 1 image span.*describes 2"):
        model(ids, pixel_values=torch.zeros(1, 3, 16, 16), image_grids=torch.tensor([[4, 4], [4, 4]]))


def test_codes_without_the_vision_offset_are_refused():
    model = tiny_nextflow()
    layout = image_layout(model)
    ids, _ = caption_then_image(model.config, PROMPT, layout, random_codes(layout, seed=8))
    ids[len(PROMPT) + 1] = 5
    with pytest.raises(ValueError, match="must hold vision ids"):
        model(ids[None], image_grids=torch.tensor([[4, 4]]))


def test_interleaved_generation_draws_when_the_model_emits_boi_and_then_writes_on():
    model = tiny_nextflow()
    config = model.config
    output = model.generate(
        torch.tensor([PROMPT]),
        generation_mode="interleaved",
        max_new_tokens=4,
        max_images=1,
        do_sample=False,
        eos_token_id=None,
        sequence_bias={(config.boi_token_id,): 100.0},  # make the untrained model ask for a picture at once
        image_kwargs=dict(level=16, generator=torch.Generator().manual_seed(0)),
    )
    assert len(output.images) == 1 and torch.equal(output.image_grids, torch.tensor([[4, 4]]))
    layout = image_layout(model, context=True)
    image = output.images[0]
    span = layout.token_ids([t[0] for t in image], config.vision_token_offset, config.boi_token_id, config.eoi_token_id)
    sequence = output.sequences[0]
    start = len(PROMPT)
    assert torch.equal(sequence[start : start + layout.span_length], span)
    text_after = sequence[start + layout.span_length :]
    assert len(text_after) == 3 and (text_after < config.boi_token_id).all()  # the budget was 4 text tokens
    with torch.no_grad():  # the returned sequence is a valid input, images and all
        model(output.sequences, image_grids=output.image_grids)


def test_editing_conditions_on_a_context_image_given_as_pixels_or_as_codes():
    model = tiny_nextflow()
    config = model.config
    layout = image_layout(model, context=True)
    pixels = torch.rand(1, 3, 16, 16) * 2 - 1
    codes = [scale[0] for scale in model.vqmodel.encode(pixels).image_tokens]
    with_codes = torch.cat(
        [
            layout.token_ids(codes, config.vision_token_offset, config.boi_token_id, config.eoi_token_id),
            torch.tensor([40, 41]),
        ]
    )[None]
    with_placeholders = with_codes.clone()
    with_placeholders[0, 1 : 1 + layout.num_block_tokens] = config.image_token_id
    grids = torch.tensor([[4, 4]])
    settings = dict(level=32, guidance_scale=2.0, output_logits=True)
    from_pixels = model.generate_image(
        with_placeholders,
        pixel_values=pixels,
        image_grids=grids,
        generator=torch.Generator().manual_seed(0),
        **settings,
    )
    from_codes = model.generate_image(
        with_codes, image_grids=grids, generator=torch.Generator().manual_seed(0), **settings
    )
    text_only = model.generate_image(with_codes[:, -2:], generator=torch.Generator().manual_seed(0), **settings)
    torch.testing.assert_close(from_pixels.logits[-1], from_codes.logits[-1])
    assert not torch.allclose(from_codes.logits[0], text_only.logits[0])  # the source image matters


def test_a_packed_row_gives_each_sample_the_logits_and_loss_it_gets_alone():
    model = tiny_nextflow()
    samples = []
    for seed, (prompt, level, ratio) in enumerate([(PROMPT, 16, 1.0), ([0, 20, 21], 32, 0.5)]):
        layout = image_layout(model, level=level, aspect_ratio=ratio)
        ids, labels = caption_then_image(model.config, prompt, layout, random_codes(layout, seed=seed))
        samples.append((ids, labels, torch.tensor([list(layout.schedule[-1])])))
    packed_ids = torch.cat([ids for ids, _, _ in samples])[None]
    packed_labels = torch.cat([labels for _, labels, _ in samples])[None]
    positions = torch.cat([torch.arange(len(ids)) for ids, _, _ in samples])[None]
    grids = torch.cat([grid for _, _, grid in samples])
    with torch.no_grad():
        packed = model(packed_ids, position_ids=positions, image_grids=grids, labels=packed_labels)
        alone = [model(ids[None], image_grids=grid, labels=labels[None]) for ids, labels, grid in samples]
    length = len(samples[0][0])
    torch.testing.assert_close(packed.logits[:, :length], alone[0].logits)
    torch.testing.assert_close(packed.logits[:, length:], alone[1].logits)
    vision_tokens = [int((labels >= model.config.vision_token_offset).sum()) for _, labels, _ in samples]
    weighted = sum(n * out.vision_loss for n, out in zip(vision_tokens, alone)) / sum(vision_tokens)
    torch.testing.assert_close(packed.vision_loss, weighted)


def test_processor_outputs_drive_understanding_and_drawing_end_to_end():
    from PIL import Image

    from nextflow_hf.modeling import NextFlowImageProcessor, NextFlowProcessor

    from ..tokenization import tiny_tokenizer

    model = tiny_nextflow()
    processor = NextFlowProcessor(
        NextFlowImageProcessor.from_vq_config(model.config.vq_config, level=16), tiny_tokenizer()
    )
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "what colour is it?"}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    picture = Image.new("RGB", (40, 24), (220, 40, 40))
    inputs = processor(images=[picture], text=prompt)
    answer = model.generate(**inputs, max_new_tokens=3, do_sample=False)
    assert answer.shape[1] > inputs["input_ids"].shape[1]
    assert isinstance(processor.post_process_image_text_to_text(answer[:, inputs["input_ids"].shape[1] :])[0], str)

    drawn = model.generate_image(**processor(text=["a red star", "two blue circles above"]), level=32, aspect_ratio=0.5)
    images = processor.postprocess(model.decode_image_tokens(drawn.image_tokens))["pixel_values"]
    assert [image.size for image in images] == [(32, 16), (32, 16)]


@pytest.mark.parametrize("sampling", [dict(top_k=1), dict(top_p=1e-6), dict(temperature=1e-4)])
def test_sampling_knobs_reach_the_codes(sampling):
    model = tiny_nextflow()
    settings = dict(level=32, aspect_ratio=0.5, guidance_scale=2.0)
    greedy = model.generate_image(torch.tensor([PROMPT]), do_sample=False, **settings)
    sampled = model.generate_image(
        torch.tensor([PROMPT]), generator=torch.Generator().manual_seed(0), **sampling, **settings
    )
    for greedy_tokens, sampled_tokens in zip(greedy.image_tokens, sampled.image_tokens):
        assert torch.equal(greedy_tokens, sampled_tokens)


def test_sampling_settings_may_differ_per_scale():
    model = tiny_nextflow()

    def draw(**sampling):
        generator = torch.Generator().manual_seed(0)
        return model.generate_image(
            torch.tensor([PROMPT]), level=32, generator=generator, output_logits=True, **sampling
        )

    sampled = draw()
    num_scales = len(sampled.image_tokens)
    finest_greedy = draw(top_k=[0] * (num_scales - 2) + [1, 1])
    for scale in range(num_scales - 2):
        assert torch.equal(finest_greedy.image_tokens[scale], sampled.image_tokens[scale])
    for scale in (num_scales - 2, num_scales - 1):
        most_likely = finest_greedy.logits[scale].argmax(-1).view_as(finest_greedy.image_tokens[scale])
        assert torch.equal(finest_greedy.image_tokens[scale], most_likely)
    with pytest.raises(
        ValueError, match=rf"top_k has 2 values \[1, 1\]; give one value, or one per scale \({num_scales}"
    ):
        draw(top_k=[1, 1])


def test_guidance_is_ramped_from_one_value_or_given_per_scale():
    model = tiny_nextflow()

    def draw(guidance_scale: float | list[float]):
        return model.generate_image(
            torch.tensor([PROMPT]), level=32, guidance_scale=guidance_scale, do_sample=False, output_logits=True
        )

    ramped = draw(500.0)  # large: an untrained model's two branches differ by ~0.01
    num_scales = len(ramped.image_tokens)
    spelled_out = draw([1 + 499 * scale / (num_scales - 1) for scale in range(num_scales)])
    assert all(torch.equal(a, b) for a, b in zip(ramped.image_tokens, spelled_out.image_tokens))
    unguided_first_scale = ramped.logits[0].argmax(-1).view_as(ramped.image_tokens[0])
    assert torch.equal(ramped.image_tokens[0], unguided_first_scale)  # the ramp starts at 1
    constant = draw([500.0] * num_scales)
    assert not torch.equal(constant.image_tokens[0], unguided_first_scale)
    with pytest.raises(ValueError, match=r"guidance_scale has 2 values \[3, 3\]; give one value, or one per scale"):
        draw([3, 3])


@pytest.mark.parametrize("sampling", [dict(top_k=1), dict(top_p=1e-6), dict(temperature=1e-4)])
def test_image_sampling_defaults_come_from_the_generation_configs_image_fields(sampling):
    model = tiny_nextflow()
    settings = dict(level=32, guidance_scale=2.0, generator=torch.Generator().manual_seed(0))
    greedy = model.generate_image(torch.tensor([PROMPT]), do_sample=False, **settings)
    for name, value in sampling.items():
        setattr(model.generation_config, f"image_{name}", value)
    settings["generator"] = torch.Generator().manual_seed(0)
    by_default = model.generate_image(torch.tensor([PROMPT]), **settings)
    assert all(torch.equal(a, b) for a, b in zip(greedy.image_tokens, by_default.image_tokens))
    model.generation_config.validate(strict=True)  # the image fields do not make a text sampling setting invalid


def test_an_image_guidance_default_in_the_generation_config_leaves_text_generation_alone():
    model = tiny_nextflow()
    plain = model.generate(torch.tensor([PROMPT]), max_new_tokens=3, do_sample=False)
    model.generation_config.guidance_scale = 500.0  # large: an untrained model's two branches differ by ~0.01
    assert torch.equal(model.generate(torch.tensor([PROMPT]), max_new_tokens=3, do_sample=False), plain)

    def draw(**kwargs) -> list[torch.Tensor]:
        generator = torch.Generator().manual_seed(0)
        return model.generate_image(torch.tensor([PROMPT]), level=32, generator=generator, **kwargs).image_tokens

    by_default, explicit, unguided = draw(), draw(guidance_scale=500.0), draw(guidance_scale=1.0)
    assert all(torch.equal(a, b) for a, b in zip(by_default, explicit))
    assert not all(torch.equal(a, b) for a, b in zip(by_default, unguided))
