"""Scale schedules: the paper's Table 14, levels, aspect-ratio buckets, token counts and loss weights."""

import math

import pytest

from nextflow_hf.modeling.scales import (
    PAPER_SCALE_TABLE,
    ScaleScheduleTable,
    get_scale_schedule,
    num_image_tokens,
    scale_loss_weights,
    validate_schedule,
)

SQUARE_18 = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (10, 10), (12, 12), (14, 14)]
SQUARE_18 += [(16, 16), (20, 20), (24, 24), (28, 28), (32, 32), (48, 48), (64, 64)]


def test_paper_table_has_41_aspect_ratios_of_18_steps_from_1_to_4_to_4_to_1():
    assert len(PAPER_SCALE_TABLE.schedules) == 41
    assert PAPER_SCALE_TABLE.num_steps == 18
    assert PAPER_SCALE_TABLE.aspect_ratios[0] == 0.25 and PAPER_SCALE_TABLE.aspect_ratios[-1] == 4.0


def test_square_schedule_is_the_papers():
    assert get_scale_schedule(1024) == SQUARE_18


@pytest.mark.parametrize(
    ("level", "steps", "tokens", "final_grid"), [(256, 12, 900, 16), (512, 16, 3684, 32), (1024, 18, 10084, 64)]
)
def test_levels_are_prefixes_with_the_papers_token_counts(level, steps, tokens, final_grid):
    schedule = get_scale_schedule(level)
    assert schedule == SQUARE_18[:steps]
    assert num_image_tokens(schedule) == tokens
    assert schedule[-1] == (final_grid, final_grid)
    assert final_grid * 16 == level


@pytest.mark.parametrize(("level", "low", "high"), [(256, 815, 905), (512, 3318, 3689), (1024, 9093, 10089)])
def test_token_counts_stay_balanced_across_aspect_ratios(level, low, high):
    counts = [num_image_tokens(get_scale_schedule(level, ratio)) for ratio in PAPER_SCALE_TABLE.aspect_ratios]
    assert (min(counts), max(counts)) == (low, high)


def test_aspect_ratio_is_height_over_width():
    tall, wide = get_scale_schedule(256, 2.0)[-1], get_scale_schedule(256, 0.5)[-1]
    assert tall == (22, 11) and wide == (11, 22)


@pytest.mark.parametrize(("asked", "bucket"), [(1.02, 1.0), (0.51, 0.5), (0.7, 0.685), (3.9, 3.875), (4.1, 4.0)])
def test_nearest_aspect_ratio_bucket(asked, bucket):
    assert PAPER_SCALE_TABLE.nearest_aspect_ratio(asked) == bucket
    assert get_scale_schedule(256, asked) == get_scale_schedule(256, bucket)


@pytest.mark.parametrize("ratio", [10.0, 0.1, 0.0, -1.0, math.nan, math.inf])
def test_unsupported_aspect_ratio_is_refused_with_the_value(ratio):
    with pytest.raises(ValueError, match="spect ratio"):
        get_scale_schedule(256, ratio)


def test_unknown_level_names_the_level_and_the_available_ones():
    with pytest.raises(ValueError, match=r"Unknown level 300.*256, 512, 1024"):
        get_scale_schedule(300)


def test_scale_loss_weights_keep_the_total_and_favour_coarse_scales():
    schedule = get_scale_schedule(1024)
    sizes = [h * w for h, w in schedule]
    weights = scale_loss_weights(schedule, alpha=0.9)
    assert sum(n * w for n, w in zip(sizes, weights)) == pytest.approx(sum(sizes))
    assert all(coarse > fine for coarse, fine in zip(weights, weights[1:]))
    total = sum(sizes)
    assert weights[0] * sizes[0] / total == pytest.approx(0.034, abs=5e-4)
    assert weights[-1] * sizes[-1] / total == pytest.approx(0.078, abs=5e-4)


def test_alpha_zero_is_plain_cross_entropy():
    assert scale_loss_weights(get_scale_schedule(256), alpha=0.0) == pytest.approx([1.0] * 12)


def test_custom_table_for_small_models():
    table = ScaleScheduleTable.from_config(
        {"1.0": [[1, 1], [2, 2], [4, 4]], "0.5": [[1, 1], [1, 2], [2, 4]]}, {"8": 2, "16": 3}
    )
    assert table.get_schedule(16) == [(1, 1), (2, 2), (4, 4)]
    assert table.get_schedule(8, aspect_ratio=0.5) == [(1, 1), (1, 2)]
    assert table.schedule_for_grid((2, 4)) == [(1, 1), (1, 2), (2, 4)]


def test_schedule_for_grid_finds_the_level_and_bucket_or_names_the_grid():
    assert PAPER_SCALE_TABLE.schedule_for_grid((16, 16)) == get_scale_schedule(256)
    assert PAPER_SCALE_TABLE.schedule_for_grid((44, 88)) == get_scale_schedule(1024, 0.5)
    with pytest.raises(ValueError, match=r"\(17, 17\)"):
        PAPER_SCALE_TABLE.schedule_for_grid((17, 17))


@pytest.mark.parametrize(
    ("schedules", "levels", "message"),
    [
        ({"1.0": [[1, 1], [2, 2]], "0.5": [[1, 1]]}, {"8": 1}, "same number of steps"),
        ({"1.0": [[1, 1], [2, 2]]}, {"8": 3}, "Level 8 uses 3 steps"),
        ({"1.0": [[2, 2], [1, 1]]}, {"8": 2}, "coarse to fine"),
        ({"1.0": [[0, 1], [2, 2]]}, {"8": 2}, "positive ints"),
    ],
)
def test_malformed_custom_tables_are_refused(schedules, levels, message):
    with pytest.raises(ValueError, match=message):
        ScaleScheduleTable.from_config(schedules, levels)


def test_validate_schedule_refuses_an_empty_schedule():
    with pytest.raises(ValueError, match="empty"):
        validate_schedule([])
