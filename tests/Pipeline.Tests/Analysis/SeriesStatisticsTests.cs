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
}
