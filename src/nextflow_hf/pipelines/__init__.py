"""diffusers pipelines of NextFlow (text-to-image, editing, interleaved): built on the model of issue 3."""
