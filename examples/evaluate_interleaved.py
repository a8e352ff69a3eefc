"""Consistency of interleaved stories and videos over ShapesWorld: draw every image after the first, score the sequence.

Stories (a scene per sentence, each one edit away from the last, `shapesworld.sample_story`) and videos (one object
moving evenly across 3 to 5 frames, `shapesworld.sample_video`) are seeded, test split by default. Where the first
scene's objects lie cannot be known from text, so its ground-truth render is given; with `--pipeline` a saved NextFlow
model draws every later image with the text teacher-forced and all earlier images in context, in the layout it is
trained on (`sentence <boi> image <eoi> sentence <boi> image <eoi> …` for stories, `prompt <boi> frame <eoi> <boi>
frame <eoi> …` for videos, images as context spans of their codes). `--ground-truth` renders every scene instead,
which checks the judge: it must score 1.0. Per task, the fraction of sequences entirely right (consistency), of images
right (frame accuracy, the given first ones included) and, for videos, of steady motion go to `--out` as JSON and
markdown.

    python examples/evaluate_interleaved.py --ground-truth --per-task 20
    python examples/evaluate_interleaved.py --pipeline checkpoints/nextflow-shapesworld --per-task 20
"""

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import PIL.Image
import torch

from nextflow_hf.evaluation import SequenceConsistencyMetric, write_report
from nextflow_hf.pipelines import NextFlowInterleavedPipeline
from nextflow_hf.shapesworld import Scene, Story, Video, render, sample_story, sample_video
from nextflow_hf.training.extraction import level_geometry

TASKS = ("story", "video")

Codes = list[torch.LongTensor]


@dataclass(frozen=True)
class ImageSequence:
    """Text and ground-truth scenes interleaved: `texts[k]` comes right before image `k`, which shows `scenes[k]`."""

    texts: tuple[str, ...]
    scenes: tuple[Scene, ...]


def story_sequence(story: Story) -> ImageSequence:
    """A story as the model reads it: each sentence before its image."""
    return ImageSequence(story.texts, story.scenes)


def video_sequence(video: Video) -> ImageSequence:
    """A video as the model reads it: the description before the first frame, nothing between frames."""
    return ImageSequence((video.description,) + ("",) * (len(video.frames) - 1), video.frames)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pipeline", type=Path, metavar="FOLDER", help="a folder saved by a NextFlow pipeline")
    source.add_argument("--ground-truth", action="store_true", help="score rendered ground-truth scenes (must be 1.0)")
    parser.add_argument("--per-task", type=int, default=20, help="stories, and videos, to draw")
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--size", type=int, default=128, help="side of ground-truth renders in pixels")
    parser.add_argument("--level", type=int, default=None, help="image level of the pipeline (default: its own)")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/interleaved"))
    args = parser.parse_args(argv)
    if args.per_task < 1:
        parser.error(f"--per-task must be at least 1; got {args.per_task}")
    return args


def sample_sequences(per_task: int, split: str, seed: int) -> dict[str, list[ImageSequence]]:
    """`per_task` stories and videos (of random lengths) from one seeded generator."""
    rng = random.Random(seed)
    stories = [story_sequence(sample_story(rng, split=split)) for _ in range(per_task)]
    return {"story": stories, "video": [video_sequence(sample_video(rng, split=split)) for _ in range(per_task)]}


def text_ids(pipe: NextFlowInterleavedPipeline, text: str) -> torch.LongTensor:
    """The ids of a text piece, without special tokens, as training writes the pieces of a sequence."""
    return torch.tensor(pipe.processor.tokenizer(text, add_special_tokens=False)["input_ids"], dtype=torch.long)


def context_span(pipe: NextFlowInterleavedPipeline, codes: Codes) -> torch.LongTensor:
    """`<boi> B_1 … B_K <eoi>` of an image in context, from its per-scale `(h, w)` codes."""
    config = pipe.model.config
    layout = pipe.model.model.image_layout([tuple(scale.shape) for scale in codes], context=True)
    return layout.token_ids(codes, config.vision_token_offset, config.boi_token_id, config.eoi_token_id)


@torch.no_grad()
def encode_image(pipe: NextFlowInterleavedPipeline, image: PIL.Image.Image, level: int) -> Codes:
    """The per-scale codes of a given image, sized for `level` by the image processor and encoded by the tokenizer."""
    pixels = pipe.processor.image_processor(images=[image], level=level)["pixel_values"]
    schedule = pipe.scale_table.get_schedule(level, image.height / image.width)
    vqmodel = pipe.model.vqmodel
    encoded = vqmodel.encode(pixels.to(vqmodel.device, vqmodel.dtype), schedule=schedule)
    return [scale[0] for scale in encoded.image_tokens]


@torch.no_grad()
def continue_sequence(
    pipe: NextFlowInterleavedPipeline, texts: Sequence[str], first: Codes, level: int, generator: torch.Generator
) -> list[Codes]:
    """The codes of images 1, 2, … of a sequence whose image 0 has codes `first`: image `k` is drawn after
    `texts[0] image_0 … texts[k]`, the text given and every earlier image in context as the codes it was drawn
    with."""
    pieces, grids, images = [text_ids(pipe, texts[0])], [], [first]
    for text in texts[1:]:
        pieces += [context_span(pipe, images[-1]), text_ids(pipe, text)]
        grids.append(tuple(images[-1][-1].shape))
        drawn = pipe.model.generate_image(
            torch.cat(pieces)[None], image_grids=torch.tensor(grids), level=level, generator=generator
        )
        images.append([scale[0] for scale in drawn.image_tokens])
    return images[1:]


def decode_image(pipe: NextFlowInterleavedPipeline, codes: Codes) -> PIL.Image.Image:
    """The image the tokenizer decodes from one image's per-scale codes."""
    return pipe.decode([scale[None] for scale in codes], [tuple(scale.shape) for scale in codes], "pil")[0]


def draw_sequence(
    pipe: NextFlowInterleavedPipeline, sequence: ImageSequence, level: int, seed: int
) -> list[PIL.Image.Image]:
    """The given first image (the ground-truth render at the level's size) followed by the images the model draws."""
    first = render(sequence.scenes[0], *level_geometry(pipe.model.config.vq_config, level)[1])
    generator = torch.Generator(pipe.device).manual_seed(seed)
    drawn = continue_sequence(pipe, sequence.texts, encode_image(pipe, first, level), level, generator)
    return [first, *(decode_image(pipe, codes) for codes in drawn)]


def pipeline_images(
    args: argparse.Namespace, sequences: dict[str, list[ImageSequence]]
) -> dict[str, list[list[PIL.Image.Image]]]:
    """Every sequence's images with its later ones drawn by the pipeline; sequence `i` of a task with seed
    `args.seed + i`."""
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    pipe = NextFlowInterleavedPipeline.from_pretrained(args.pipeline).to(device)
    level, _ = pipe.resolve_size(args.level, 1.0, None, None)
    return {
        task: [draw_sequence(pipe, sequence, level, args.seed + i) for i, sequence in enumerate(items)]
        for task, items in sequences.items()
    }


def ground_truth_images(
    args: argparse.Namespace, sequences: dict[str, list[ImageSequence]]
) -> dict[str, list[list[PIL.Image.Image]]]:
    """Every sequence's ground-truth scenes rendered."""
    return {
        task: [[render(scene, args.size, args.size) for scene in sequence.scenes] for sequence in items]
        for task, items in sequences.items()
    }


def consistency_scores(
    task: str, sequences: list[ImageSequence], images: list[list[PIL.Image.Image]]
) -> dict[str, float]:
    """Consistency (sequences entirely right), frame accuracy, the number of sequences and, for videos, the fraction
    whose moving objects advanced steadily."""
    scores = SequenceConsistencyMetric(task, keep_in_memory=True).compute(
        predictions=images, references=[sequence.scenes for sequence in sequences]
    )
    return {"consistency": scores.pop("accuracy"), **scores}


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    args = parse_args(argv)
    sequences = sample_sequences(args.per_task, args.split, args.seed)
    images = ground_truth_images(args, sequences) if args.ground_truth else pipeline_images(args, sequences)
    results = {task: consistency_scores(task, sequences[task], images[task]) for task in TASKS}
    settings = {
        "images": "ground-truth renders" if args.ground_truth else f"pipeline {args.pipeline}, first image given",
        "image size": f"{args.size}×{args.size}" if args.ground_truth else f"level {args.level or 'of the pipeline'}",
        "sequences": f"{args.per_task} per task, {args.split} split, seed {args.seed}",
    }
    paths = write_report(args.out, "ShapesWorld interleaved consistency", results, settings)
    summary = ", ".join(
        f"{task} {scores['consistency']:.3f} (frames {scores['frame_accuracy']:.3f})"
        for task, scores in results.items()
    )
    print(f"consistency {summary} over {args.per_task} sequences per task; wrote {paths[0]} and {paths[1]}")
    return results


if __name__ == "__main__":
    main()
