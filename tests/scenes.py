"""Simple synthetic scenes for tests: rectangles of a few colours on a light background."""

import torch

PALETTE = torch.tensor([[220, 40, 40], [245, 140, 30], [50, 165, 70], [45, 85, 215], [140, 70, 190]]) / 127.5 - 1


def render_scenes(count: int, height: int = 32, width: int = 32, seed: int = 0) -> torch.Tensor:
    """`count` images in [-1, 1]: a light background with one to three filled rectangles of palette colours."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.full((count, 3, height, width), 235 / 127.5 - 1)
    for image in images:
        for _ in range(int(torch.randint(1, 4, (), generator=generator))):
            top, left = (int(torch.randint(0, side - 8, (), generator=generator)) for side in (height, width))
            box_h, box_w = (int(torch.randint(6, 14, (), generator=generator)) for _ in range(2))
            color = PALETTE[int(torch.randint(len(PALETTE), (), generator=generator))]
            image[:, top : top + box_h, left : left + box_w] = color[:, None, None]
    return images
