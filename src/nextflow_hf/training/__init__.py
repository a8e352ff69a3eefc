"""The training recipe of NextFlow, stage by stage; the scripts in `examples/training/` drive these pieces.

- `teacher`: the semantic teacher, a small SigLIP trained contrastively on ShapesWorld captions (stage a);
- `tokenizer_training`: the VQ tokenizer, pixel branch first, then jointly with semantic distillation (stage b);
- `extraction`: input and target codes, with self-correction, pre-extracted into `datasets` on disk (stage c);
- `sequences`, `packing`, `language_model`: task sequences written as inference reads them, packed to a token budget,
  for the alignment, pretraining and SFT stages of the decoder (stage d);
- `arguments`: one YAML file per stage with command-line overrides; `checkpoints`: outputs written atomically;
  `callbacks`: optimizer steps with non-finite gradients skipped; `model_card`: the card of a shipped checkpoint.
"""
