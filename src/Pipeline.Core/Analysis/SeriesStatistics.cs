using MathNet.Numerics.Distributions;

namespace Pipeline.Analysis;

/// <summary>The score of one daily count against its baseline.</summary>
internal readonly record struct SeriesScore(long Count, double Mean, double StdDev, double FlooredStdDev, double Z, double PValue, int BaselinePoints, bool WeekdayMatched);

/// <summary>
/// Statistics of a daily count series on a zero-filled calendar: a day without calls is a 0, not a missing point.
/// The baseline is the trailing window before the report day; its standard deviation is floored (at a minimum and at
/// the Poisson spread √mean) so a perfectly steady series cannot produce an infinite z-score, and the Poisson upper
/// tail P(X ≥ count | λ = mean) is a second opinion that keeps low-volume noise quiet.
/// </summary>
internal static class SeriesStatistics
{
    /// <param name="baseline">Counts of the baseline days, oldest first, zero-filled (one entry per calendar day).</param>
    /// <param name="baselineDates">The dates of <paramref name="baseline"/>.</param>
    /// <param name="reportDate">The day being scored.</param>
    /// <param name="count">The count on the report day.</param>
    public static SeriesScore Score(IReadOnlyList<long> baseline, IReadOnlyList<DateOnly> baselineDates, DateOnly reportDate, long count, AnalysisOptions options)
    {
        var points = baseline;
        var weekdayMatched = false;
        if (options.WeekdayAware)
        {
            // Weekend traffic is often half of weekday traffic: compare like with like when each kind has history and the
            // series has a weekly rhythm. Without one, the other kind's days are just more history, and often the most
            // recent: a series growing steadily would be scored on a Saturday against weekends weeks old, and flagged.
            var weekend = IsWeekend(reportDate);
            var same = new List<long>(baseline.Count);
            for (var i = 0; i < baseline.Count; i++)
            {
                if (IsWeekend(baselineDates[i]) == weekend)
                {
                    same.Add(baseline[i]);
                }
            }

            if (same.Count >= 4 && HasWeeklyPattern(baseline, baselineDates))
            {
                points = same;
                weekdayMatched = true;
            }
        }

        var (mean, std) = MeanStdDev(points);
        var floored = Math.Max(Math.Max(std, options.MinStdDev), options.PoissonStdDevFactor * Math.Sqrt(mean));
        var z = (count - mean) / floored;
        return new SeriesScore(count, mean, std, floored, z, PoissonUpperTail(count, mean), points.Count, weekdayMatched);
    }

    /// <summary>Weekend days at most this share of the weekdays around them, or at least its inverse, make a weekly rhythm.</summary>
    public const double WeeklyPatternRatio = 2.0 / 3.0;

    /// <summary>
    /// Whether the baseline's weekend days differ from the weekdays around them (within three days, before or after):
    /// their total at most <see cref="WeeklyPatternRatio"/> of the weekdays' level, or at least its inverse. Each weekend
    /// day is held against its own neighbours, so a trend over the window does not read as a weekly rhythm.
    /// </summary>
    public static bool HasWeeklyPattern(IReadOnlyList<long> baseline, IReadOnlyList<DateOnly> baselineDates)
    {
        double weekends = 0, around = 0;
        var compared = false;
        for (var i = 0; i < baseline.Count; i++)
        {
            if (!IsWeekend(baselineDates[i]))
            {
                continue;
            }

            double sum = 0;
            var n = 0;
            for (var j = Math.Max(0, i - 3); j <= Math.Min(baseline.Count - 1, i + 3); j++)
            {
                if (!IsWeekend(baselineDates[j]) && Math.Abs(baselineDates[j].DayNumber - baselineDates[i].DayNumber) <= 3)
                {
                    sum += baseline[j];
                    n++;
                }
            }

            if (n > 0)
            {
                weekends += baseline[i];
                around += sum / n;
                compared = true;
            }
        }

        if (!compared)
        {
            return true; // too short to tell: like with like, as before this test existed
        }

        if (weekends == 0 && around == 0)
        {
            return false; // no calls on either kind of day: no rhythm to match
        }

        return weekends <= WeeklyPatternRatio * around || weekends * WeeklyPatternRatio >= around;
    }

    /// <summary>Whether a score is an anomaly under the options: enough volume, a high z, and an unlikely Poisson tail.</summary>
    public static bool IsAnomalous(SeriesScore s, AnalysisOptions options) =>
        s.Count >= options.MinCount && s.Z >= options.ZThreshold && s.PValue <= options.MaxPValue;

    /// <summary>Sample mean and standard deviation (n − 1); zero deviation for fewer than two points.</summary>
    public static (double Mean, double StdDev) MeanStdDev(IReadOnlyList<long> values)
    {
        if (values.Count == 0)
        {
            return (0, 0);
        }

        double sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        var mean = sum / values.Count;
        if (values.Count < 2)
        {
            return (mean, 0);
        }

        double squares = 0;
        foreach (var v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        return (mean, Math.Sqrt(squares / (values.Count - 1)));
    }

    /// <summary>P(X ≥ k) for X ~ Poisson(λ); λ is floored at a small rate so a never-seen series is not certain.</summary>
    public static double PoissonUpperTail(long k, double lambda)
    {
        if (k <= 0)
        {
            return 1.0;
        }

        var rate = Math.Max(lambda, 0.1);
        return Math.Clamp(1.0 - Poisson.CDF(rate, k - 1), 0.0, 1.0);
    }

    /// <summary>Counts on every day of [<paramref name="start"/>, <paramref name="end"/>], 0 where the dictionary has none.</summary>
    public static long[] ZeroFill(IReadOnlyDictionary<DateOnly, long> counts, DateOnly start, DateOnly end)
    {
        var days = end.DayNumber - start.DayNumber + 1;
        var result = new long[Math.Max(0, days)];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = counts.TryGetValue(start.AddDays(i), out var c) ? c : 0;
        }

        return result;
    }

    public static bool IsWeekend(DateOnly d) => d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
}
