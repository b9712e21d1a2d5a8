using Pipeline.Analysis;

namespace Pipeline.Tests.Analysis;

public sealed class SeriesStatisticsTests
{
    private static readonly DateOnly Day = new(2026, 1, 14); // a Wednesday

    private static DateOnly[] Dates(int n) => Enumerable.Range(0, n).Select(i => Day.AddDays(i - n)).ToArray();

    [Fact]
    public void Missing_days_are_zeros_on_the_calendar()
    {
        var counts = new Dictionary<DateOnly, long> { [new DateOnly(2026, 1, 2)] = 5, [new DateOnly(2026, 1, 4)] = 7 };
        Assert.Equal([0, 5, 0, 7, 0], SeriesStatistics.ZeroFill(counts, new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 5)));
    }

    [Fact]
    public void Mean_and_sample_standard_deviation_are_exact()
    {
        var (mean, std) = SeriesStatistics.MeanStdDev([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(5.0, mean, 12);
        Assert.Equal(Math.Sqrt(32.0 / 7.0), std, 12);
    }

    [Fact]
    public void A_perfectly_steady_series_has_a_floored_deviation_not_an_infinite_z()
    {
        var baseline = Enumerable.Repeat(100L, 28).ToArray();
        var s = SeriesStatistics.Score(baseline, Dates(28), Day, 130, new AnalysisOptions { WeekdayAware = false });
        Assert.Equal(0.0, s.StdDev);
        Assert.Equal(10.0, s.FlooredStdDev, 9); // √100
        Assert.Equal(3.0, s.Z, 9);
        Assert.False(SeriesStatistics.IsAnomalous(s, new AnalysisOptions()));
    }

    [Fact]
    public void A_low_volume_jump_is_not_an_alert()
    {
        var baseline = new long[28];
        baseline[3] = 1;
        var s = SeriesStatistics.Score(baseline, Dates(28), Day, 3, new AnalysisOptions { WeekdayAware = false });
        Assert.True(s.Z >= 2.9); // a large z on a near-zero series...
        Assert.False(SeriesStatistics.IsAnomalous(s, new AnalysisOptions())); // ...but below the minimum volume
    }

    [Fact]
    public void A_tenfold_jump_on_a_busy_series_is_an_alert()
    {
        var rng = new Random(1);
        var baseline = Enumerable.Range(0, 28).Select(_ => (long)(40 + rng.Next(-6, 7))).ToArray();
        var s = SeriesStatistics.Score(baseline, Dates(28), Day, 400, new AnalysisOptions());
        Assert.True(SeriesStatistics.IsAnomalous(s, new AnalysisOptions()));
        Assert.True(s.PValue < 1e-12);
    }

    [Theory]
    [InlineData(0, 5.0, 1.0)]
    [InlineData(1, 2.0, 0.8646647167633873)]   // 1 − e^−2
    [InlineData(3, 1.0, 0.08030139707139416)]  // 1 − e^−1(1 + 1 + 1/2)
    public void Poisson_upper_tail_matches_hand_computed_values(long k, double lambda, double expected) =>
        Assert.Equal(expected, SeriesStatistics.PoissonUpperTail(k, lambda), 9);

    [Fact]
    public void Weekday_aware_baseline_compares_a_monday_with_weekdays_only()
    {
        var monday = new DateOnly(2026, 1, 12);
        var dates = Enumerable.Range(0, 28).Select(i => monday.AddDays(i - 28)).ToArray();
        var baseline = dates.Select(d => SeriesStatistics.IsWeekend(d) ? 10L : 100L).ToArray();

        var aware = SeriesStatistics.Score(baseline, dates, monday, 105, new AnalysisOptions());
        var naive = SeriesStatistics.Score(baseline, dates, monday, 105, new AnalysisOptions { WeekdayAware = false });

        Assert.True(aware.WeekdayMatched);
        Assert.Equal(100.0, aware.Mean, 9);
        Assert.True(aware.Z < 1);
        Assert.True(naive.Mean < 80);

        // A title that quotes the mean says which days it is the mean of (the top tables' means are over all days).
        Assert.Equal("weekday ", VolumeAnomalies.Basis(aware, monday));
        Assert.Equal(string.Empty, VolumeAnomalies.Basis(naive, monday));
        Assert.Equal("weekend ", VolumeAnomalies.Basis(aware, monday.AddDays(-2)));
    }

    [Fact]
    public void A_steadily_growing_series_without_a_weekly_rhythm_is_scored_on_a_saturday_against_all_its_days()
    {
        // An independently generated trail (tenth check) had a role's Decrypt calls grow ~10 % a day with no weekly rhythm.
        // On a Saturday, 110 calls, below the Friday's 119, were scored against the four weekend days of two and three
        // weeks before (mean 39.8, z = 6.2) and reported. Held against the weekdays around them, those weekend days are
        // ordinary (about 0.8 of their neighbours), so all the days are the baseline.
        long[] counts = [25, 20, 29, 12, 34, 29, 36, 48, 40, 44, 52, 41, 55, 67, 90, 105, 87, 119];
        var saturday = new DateOnly(2026, 2, 28);
        var dates = Enumerable.Range(0, counts.Length).Select(i => saturday.AddDays(i - counts.Length)).ToArray();
        var options = new AnalysisOptions();

        var score = SeriesStatistics.Score(counts, dates, saturday, 110, options);

        Assert.False(SeriesStatistics.HasWeeklyPattern(counts, dates));
        Assert.False(score.WeekdayMatched);
        Assert.Equal(18, score.BaselinePoints);
        Assert.False(SeriesStatistics.IsAnomalous(score, options), $"z = {score.Z}");

        // What the weekend days alone would have said (the report before this change): an anomaly.
        var weekends = counts.Where((_, i) => SeriesStatistics.IsWeekend(dates[i])).ToList();
        var (mean, std) = SeriesStatistics.MeanStdDev(weekends);
        Assert.Equal(39.75, mean, 9);
        Assert.True((110 - mean) / std > options.ZThreshold);
    }

    [Fact]
    public void A_weekend_spike_on_a_series_with_quiet_weekends_is_still_scored_against_weekends()
    {
        var saturday = new DateOnly(2026, 1, 17);
        var dates = Enumerable.Range(0, 28).Select(i => saturday.AddDays(i - 28)).ToArray();
        var counts = dates.Select(d => SeriesStatistics.IsWeekend(d) ? 100L + (d.DayNumber % 7) : 1000L + (d.DayNumber % 13)).ToArray();
        var options = new AnalysisOptions();

        var score = SeriesStatistics.Score(counts, dates, saturday, 800, options);

        Assert.True(SeriesStatistics.HasWeeklyPattern(counts, dates));
        Assert.True(score.WeekdayMatched);
        Assert.True(SeriesStatistics.IsAnomalous(score, options), $"z = {score.Z}");
        Assert.False(SeriesStatistics.IsAnomalous(SeriesStatistics.Score(counts, dates, saturday, 800, new AnalysisOptions { WeekdayAware = false }), options));
    }

    [Theory]
    [InlineData(0, 100, true)]    // weekdays only
    [InlineData(60, 100, true)]   // weekends at 60 % of the weekdays
    [InlineData(80, 100, false)]  // at 80 %: no rhythm worth splitting the history for
    [InlineData(100, 100, false)]
    [InlineData(160, 100, true)]  // busier at weekends
    [InlineData(0, 0, false)]     // no calls at all
    public void A_weekly_rhythm_is_weekend_days_far_from_the_weekdays_around_them(long weekend, long weekday, bool expected)
    {
        var dates = Dates(28);
        var counts = dates.Select(d => SeriesStatistics.IsWeekend(d) ? weekend : weekday).ToArray();

        Assert.Equal(expected, SeriesStatistics.HasWeeklyPattern(counts, dates));
    }
}
