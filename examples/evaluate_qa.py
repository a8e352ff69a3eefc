"""Question answering over ShapesWorld: ask about a rendered scene, compare the answer by normalised exact match.

Questions are seeded (scene, question, answer) triples of every kind (`shapesworld.sample_question`: colour, count,
shape, existence, relation). With `--pipeline` a saved NextFlow model answers (greedy decoding, as `nextflow-hf ask`);
`--ground-truth` answers with the canonical answers, which checks the plumbing and must score 1.0. Accuracy per kind
and overall goes to `--out` as JSON and a markdown table.

    python examples/evaluate_qa.py --ground-truth --per-kind 20
    python examples/evaluate_qa.py --pipeline checkpoints/nextflow-shapesworld --per-kind 20
"""

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

import PIL.Image
import torch

from nextflow_hf.evaluation import ShapesQAMetric, write_report
from nextflow_hf.pipelines import NextFlowPipeline
from nextflow_hf.shapesworld import QUESTION_KINDS, QuestionAnswer, render, sample_question


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pipeline", type=Path, metavar="FOLDER", help="a folder saved by a NextFlow pipeline")
    source.add_argument("--ground-truth", action="store_true", help="answer with the canonical answers (must be 1.0)")
    parser.add_argument("--per-kind", type=int, default=20, help="questions per kind")
    parser.add_argument("--split", choices=("train", "test"), default="test")
    parser.add_argument("--size", type=int, default=256, help="side of the rendered scenes in pixels")
    parser.add_argument("--max-new-tokens", type=int, default=16, help="length limit of an answer")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when available, else cpu)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluation/qa"))
    args = parser.parse_args(argv)
    if args.per_kind < 1:
        parser.error(f"--per-kind must be at least 1; got {args.per_kind}")
    return args


@torch.no_grad()
def ask(pipe: NextFlowPipeline, image: PIL.Image.Image, question: str, max_new_tokens: int) -> str:
    """The model's greedy answer to `question` about `image`, through the processor's chat template."""
    model, processor = pipe.model, pipe.processor
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
    prompt = processor.apply_chat_template(messages, add_generation_prompt=True)
    inputs = processor(images=[image], text=prompt)
    inputs = {
        name: [item.to(pipe.device) for item in value] if isinstance(value, list) else value.to(pipe.device)
        for name, value in inputs.items()
    }
    output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return processor.post_process_image_text_to_text(output[:, inputs["input_ids"].shape[1] :])[0].strip()


def answers(args: argparse.Namespace, questions: list[QuestionAnswer]) -> list[str]:
    if args.ground_truth:
        return [question.answer for question in questions]
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    pipe = NextFlowPipeline.from_pretrained(args.pipeline).to(device)
    return [
        ask(pipe, render(question.scene, args.size, args.size), question.question, args.max_new_tokens)
        for question in questions
    ]


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    rng = random.Random(args.seed)
    questions = [sample_question(rng, kind, args.split) for kind in QUESTION_KINDS for _ in range(args.per_kind)]
    scores = ShapesQAMetric(keep_in_memory=True).compute(
        predictions=answers(args, questions),
        references=[question.answer for question in questions],
        categories=[question.kind for question in questions],
    )
    settings = {
        "answers": "ground truth" if args.ground_truth else f"pipeline {args.pipeline}",
        "questions": f"{args.per_kind} per kind, {args.split} split, seed {args.seed}",
        "image size": f"{args.size}×{args.size}",
    }
    paths = write_report(args.out, "ShapesWorld question answering", {"question answering": scores}, settings)
    count = scores["num_questions"]
    print(f"accuracy {scores['accuracy']:.3f} over {count} questions; wrote {paths[0]} and {paths[1]}")
    return scores


if __name__ == "__main__":
    main()
