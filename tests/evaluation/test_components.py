"""Connected components agree with a plain flood fill, including snakes, rings and touching labels."""

from collections import deque

import numpy as np

from nextflow_hf.evaluation.components import label_components


def flood_fill_components(labels: np.ndarray, background: int) -> set[frozenset]:
    """Each 4-connected component of equal labels as a set of (row, column), by breadth-first search."""
    seen = np.zeros(labels.shape, dtype=bool)
    components = set()
    for start in zip(*np.nonzero(labels != background)):
        if seen[start]:
            continue
        seen[start] = True
        queue, members = deque([start]), []
        while queue:
            y, x = queue.popleft()
            members.append((int(y), int(x)))
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                inside = 0 <= ny < labels.shape[0] and 0 <= nx < labels.shape[1]
                if inside and not seen[ny, nx] and labels[ny, nx] == labels[y, x]:
                    seen[ny, nx] = True
                    queue.append((ny, nx))
        components.add(frozenset(members))
    return components


def as_sets(components: np.ndarray, count: int) -> set[frozenset]:
    return {frozenset(zip(*map(lambda a: a.tolist(), np.nonzero(components == k)))) for k in range(count)}


def test_random_label_images_match_a_flood_fill():
    rng = np.random.default_rng(0)
    for _ in range(30):
        labels = rng.integers(-1, 3, size=(rng.integers(1, 25), rng.integers(1, 25)))
        components, count = label_components(labels, background=-1)
        assert as_sets(components, count) == flood_fill_components(labels, background=-1)
        assert (components == -1).sum() == (labels == -1).sum()


def test_a_snake_is_one_component_and_diagonal_neighbours_are_not_joined():
    snake = np.full((9, 9), -1)
    snake[0, :] = snake[:, 8] = snake[8, :] = snake[2:, 0] = snake[2, :7] = 5  # a long winding path
    snake[4, 4] = 5  # isolated
    snake[5, 5] = 5  # diagonal to the one above: separate under 4-connectivity
    components, count = label_components(snake, background=-1)
    assert count == 3
    assert components[0, 0] == 0  # numbered in raster order of their first pixel
    assert components[4, 4] != components[5, 5]


def test_equal_labels_only_are_joined():
    labels = np.array([[1, 1, 2, 2], [1, -1, -1, 2], [3, 3, 3, 3]])
    components, count = label_components(labels, background=-1)
    assert count == 3 and len({components[0, 0], components[0, 2], components[2, 0]}) == 3
