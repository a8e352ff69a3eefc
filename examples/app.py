"""Gradio app of NextFlow (the Hugging Face Space): generate, edit, ask about and tell stories with images.

One model answers four tabs: Generate (prompt → image), Edit (image + instruction → image), Ask (image + question →
answer) and Story (prompt → text with images). The pipeline is loaded once, at start, from the folder that
`NextFlowPipeline.save_pretrained` wrote, named by `NEXTFLOW_MODEL` (default: the shipped
`checkpoints/nextflow-shapesworld`, in the repository or next to `app.py` on a Space):

    NEXTFLOW_MODEL=path/to/pipeline python examples/app.py

Gradio's own variables choose the address, e.g. `GRADIO_SERVER_NAME=0.0.0.0 GRADIO_SERVER_PORT=7860`. On a
ZeroGPU Space the `spaces` package is installed and every handler runs under `spaces.GPU`; elsewhere it is optional.
"""

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr
import torch
from PIL import Image

from nextflow_hf.pipelines import NextFlowEditPipeline, NextFlowInterleavedPipeline, NextFlowPipeline

try:  # Hugging Face Spaces (ZeroGPU) only
    import spaces
except ImportError:
    spaces = None

APP_DIR = Path(__file__).resolve().parent
SHIPPED = Path("checkpoints", "nextflow-shapesworld")
# The shipped checkpoint: in the repository (this file is examples/app.py), or next to app.py on a Space.
DEFAULT_MODEL = next(
    (root / SHIPPED for root in (APP_DIR.parent, APP_DIR) if (root / SHIPPED).is_dir()), APP_DIR.parent / SHIPPED
)
Handler = TypeVar("Handler", bound=Callable[..., Any])


def load_pipeline(folder: Path) -> NextFlowPipeline:
    """The text-to-image pipeline saved in `folder`, on the GPU when there is one; exits with a message (no
    traceback) when the folder is missing or does not load."""
    if not folder.is_dir():
        sys.exit(
            f"No NextFlow checkpoint at {folder}.\n"
            "No trained checkpoint ships yet (one will be trained into checkpoints/nextflow-shapesworld/). Point "
            "NEXTFLOW_MODEL at a folder saved with `NextFlowPipeline.save_pretrained(folder)`, e.g.\n"
            "    NEXTFLOW_MODEL=path/to/pipeline python examples/app.py"
        )
    try:
        pipeline = NextFlowPipeline.from_pretrained(folder)
    except (OSError, ValueError) as error:
        sys.exit(
            f"Could not load a NextFlow pipeline from {folder}: {error}\n"
            "NEXTFLOW_MODEL must name a folder saved with `NextFlowPipeline.save_pretrained(folder)`."
        )
    return pipeline.to("cuda" if torch.cuda.is_available() else "cpu")


def on_gpu(duration: int = 60) -> Callable[[Handler], Handler]:
    """`spaces.GPU(duration=...)` on a ZeroGPU Space; elsewhere the handler unchanged."""
    if spaces is None:
        return lambda handler: handler
    return spaces.GPU(duration=duration)


def aspect_ratio_choices(ratios: list[float]) -> list[tuple[str, float]]:
    """Dropdown entries for the model's aspect-ratio buckets (height / width), labelled width:height."""
    choices = []
    for ratio in ratios:
        shape = Fraction(1 / ratio).limit_denominator(20)
        kind = "square" if ratio == 1 else "landscape" if ratio < 1 else "portrait"
        choices.append((f"{shape.numerator}:{shape.denominator} ({kind})", ratio))
    return choices


def require_text(text: str | None, what: str) -> str:
    """`text` stripped; a UI error when it is empty."""
    text = (text or "").strip()
    if not text:
        raise gr.Error(f"Please enter {what}.")
    return text


def require_image(image: Image.Image | None) -> Image.Image:
    """The uploaded image in RGB; a UI error when there is none."""
    if image is None:
        raise gr.Error("Please upload an image first.")
    return image.convert("RGB")


def seeded(seed: float | None) -> torch.Generator:
    """A generator on the pipeline's device, seeded with a non-negative whole number."""
    if seed is None or seed < 0 or seed != int(seed):
        raise gr.Error(f"The seed must be a whole number ≥ 0; got {seed}.")
    return torch.Generator(device=text_to_image.device).manual_seed(int(seed))


@contextmanager
def shown_in_ui() -> Iterator[None]:
    """Turns the pipelines' `ValueError`s about their inputs (an unsupported aspect ratio, a prompt longer than the
    model's context) into errors shown in the app."""
    try:
        yield
    except ValueError as error:
        raise gr.Error(str(error)) from error


text_to_image = load_pipeline(Path(os.environ.get("NEXTFLOW_MODEL", DEFAULT_MODEL)).expanduser())
editor = NextFlowEditPipeline(**text_to_image.components)
storyteller = NextFlowInterleavedPipeline(**text_to_image.components)
model, processor = text_to_image.model, text_to_image.processor
ASPECT_RATIOS = aspect_ratio_choices(text_to_image.scale_table.aspect_ratios)
DEFAULT_RATIO = min(text_to_image.scale_table.aspect_ratios, key=lambda ratio: abs(ratio - 1))
DEFAULT_GUIDANCE = float(model.generation_config.guidance_scale or 1.0)


@on_gpu()
def generate(prompt: str, aspect_ratio: float, guidance_scale: float, seed: float) -> Image.Image:
    """Generate tab: an image of `prompt`."""
    prompt = require_text(prompt, "a prompt")
    with shown_in_ui():
        output = text_to_image(prompt, aspect_ratio=aspect_ratio, guidance_scale=guidance_scale, generator=seeded(seed))
    return output.images[0]


@on_gpu()
def edit(image: Image.Image | None, instruction: str, guidance_scale: float, seed: float) -> Image.Image:
    """Edit tab: `image` changed as `instruction` says, in the source's aspect-ratio bucket."""
    image, instruction = require_image(image), require_text(instruction, "an instruction")
    with shown_in_ui():
        output = editor(image, instruction, guidance_scale=guidance_scale, generator=seeded(seed))
    return output.images[0]


@on_gpu()
def ask(image: Image.Image | None, question: str) -> str:
    """Ask tab: the model's answer to `question` about `image` (greedy, at most 64 tokens)."""
    image, question = require_image(image), require_text(question, "a question")
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    with shown_in_ui():
        inputs = processor(images=[image], text=prompt)
        inputs = {
            name: [tensor.to(model.device) for tensor in value] if isinstance(value, list) else value.to(model.device)
            for name, value in inputs.items()
        }
        output = model.generate(**inputs, max_new_tokens=64, do_sample=False)
    return processor.post_process_image_text_to_text(output[:, inputs["input_ids"].shape[1] :])[0].strip()


@on_gpu(duration=120)
def tell_story(prompt: str, max_images: float, seed: float) -> tuple[list[tuple[Image.Image, str]], str]:
    """Story tab: the model's text and images for `prompt`; the text marks where each image goes."""
    prompt = require_text(prompt, "a prompt")
    with shown_in_ui():
        output = storyteller(prompt, max_images=int(max_images), generator=seeded(seed))
    gallery, pieces = [], []
    for segment in output.segments:
        if isinstance(segment, str):
            pieces.append(segment)
        else:
            gallery.append((segment, f"image {len(gallery) + 1}"))
            pieces.append(f" [image {len(gallery)}] ")
    return gallery, "".join(pieces).strip() or "(the model wrote no text)"


with gr.Blocks(title="NextFlow") as demo:
    gr.Markdown(
        "# NextFlow\nOne decoder-only transformer that reads and writes text and images: next-token prediction for "
        "text, next-scale prediction for images ([arXiv 2601.02204](https://arxiv.org/abs/2601.02204))."
    )
    with gr.Tab("Generate", elem_id="tab-generate"):
        with gr.Row():
            with gr.Column():
                generate_prompt = gr.Textbox(label="Prompt", lines=2, elem_id="generate-prompt")
                generate_ratio = gr.Dropdown(
                    ASPECT_RATIOS, value=DEFAULT_RATIO, label="Aspect ratio (width:height)", elem_id="generate-ratio"
                )
                generate_guidance = gr.Slider(
                    1, 10, value=DEFAULT_GUIDANCE, step=0.5, label="Guidance scale", elem_id="generate-guidance"
                )
                generate_seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="generate-seed")
                generate_button = gr.Button("Generate", variant="primary", elem_id="generate-button")
            generate_image = gr.Image(label="Image", format="png", interactive=False, elem_id="generate-image")
    with gr.Tab("Edit", elem_id="tab-edit"):
        with gr.Row():
            with gr.Column():
                edit_source = gr.Image(label="Source image", type="pil", elem_id="edit-source")
                edit_instruction = gr.Textbox(label="Instruction", lines=2, elem_id="edit-instruction")
                edit_guidance = gr.Slider(
                    1, 10, value=DEFAULT_GUIDANCE, step=0.5, label="Guidance scale", elem_id="edit-guidance"
                )
                edit_seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="edit-seed")
                edit_button = gr.Button("Edit", variant="primary", elem_id="edit-button")
            edit_image = gr.Image(label="Edited image", format="png", interactive=False, elem_id="edit-image")
    with gr.Tab("Ask", elem_id="tab-ask"):
        with gr.Row():
            with gr.Column():
                ask_image = gr.Image(label="Image", type="pil", elem_id="ask-image")
                ask_question = gr.Textbox(label="Question", lines=2, elem_id="ask-question")
                ask_button = gr.Button("Ask", variant="primary", elem_id="ask-button")
            ask_answer = gr.Textbox(label="Answer", interactive=False, elem_id="ask-answer")
    with gr.Tab("Story", elem_id="tab-story"):
        with gr.Row():
            with gr.Column():
                story_prompt = gr.Textbox(label="Prompt", lines=2, elem_id="story-prompt")
                story_max_images = gr.Slider(1, 4, value=4, step=1, label="Images at most", elem_id="story-max-images")
                story_seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="story-seed")
                story_button = gr.Button("Tell", variant="primary", elem_id="story-button")
            with gr.Column():
                story_text = gr.Textbox(label="Story", lines=6, interactive=False, elem_id="story-text")
                story_gallery = gr.Gallery(label="Images", format="png", elem_id="story-gallery")

    generate_button.click(generate, [generate_prompt, generate_ratio, generate_guidance, generate_seed], generate_image)
    edit_button.click(edit, [edit_source, edit_instruction, edit_guidance, edit_seed], edit_image)
    ask_button.click(ask, [ask_image, ask_question], ask_answer)
    story_button.click(tell_story, [story_prompt, story_max_images, story_seed], [story_gallery, story_text])


if __name__ == "__main__":
    demo.queue().launch()
