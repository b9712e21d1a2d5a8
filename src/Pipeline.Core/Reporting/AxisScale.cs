namespace Pipeline.Reporting;

/// <summary>
/// A 0-based value axis rounded up to a 1/2/5 × 10^k step, so tick labels read 0, 50, 100 rather than 0, 43.7, 87.4.
/// </summary>
internal sealed class AxisScale
{
    private AxisScale(double max, double step)
    {
        Max = max;
        Step = step;
    }

    public double Max { get; }

    public double Step { get; }

    public IEnumerable<double> Ticks()
    {
        // Counted rather than accumulated, so floating-point drift cannot add or drop the last tick.
        var n = (int)Math.Round(Max / Step);
        for (var i = 0; i <= n; i++)
        {
            yield return i * Step;
        }
    }

    /// <summary>An axis covering <paramref name="dataMax"/> with about <paramref name="targetTicks"/> intervals; all-zero data gets 0..1.</summary>
    public static AxisScale For(double dataMax, int targetTicks = 5)
    {
        if (!double.IsFinite(dataMax) || dataMax <= 0)
        {
            return new AxisScale(1, 0.25);
        }

        var raw = dataMax / targetTicks;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / magnitude) switch
        {
            <= 1 => magnitude,
            <= 2 => 2 * magnitude,
            <= 5 => 5 * magnitude,
            _ => 10 * magnitude,
        };

        // Counts are whole numbers: a 0.2 step between 0 and 1 would label ticks no day can have.
        if (dataMax >= 1 && step < 1)
        {
            step = 1;
        }

        return new AxisScale(Math.Ceiling(dataMax / step) * step, step);
    }

    /// <summary>Position of <paramref name="value"/> on a pixel range where 0 is at <paramref name="zeroAt"/>.</summary>
    public double Map(double value, double zeroAt, double maxAt) =>
        zeroAt + ((maxAt - zeroAt) * Math.Clamp(value / Max, 0, 1));
}
