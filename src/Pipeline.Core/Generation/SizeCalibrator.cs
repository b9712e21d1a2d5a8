using System.Text.Json;

namespace Pipeline.Generation;

/// <summary>
/// Turns the size target into a rate scale: writes one sample day to a null sink, measures its bytes, and
/// extrapolates over regions and days (sizes are linear in the scale; seasonality is known in advance).
/// </summary>
internal static class SizeCalibrator
{
    private const double SampleRecords = 4000;

    public static double Scale(Population pop, GeneratorOptions options)
    {
        var k0 = pop.KmsRatePerDay(0);
        var sampleScale = SampleRecords / (k0 * (1 + DayPlanner.BackgroundPerKms));
        var sampleDay = options.EndDate;
        var events = new DayPlanner(pop, sampleScale).Plan(options.Seed ^ 0x5A5A, 0, sampleDay);
        var writer = new RecordWriter(pop);
        long bytes;
        using (var counter = new HashingCountingStream(Stream.Null, hash: false))
        {
            using (var json = new Utf8JsonWriter(counter, LogFileWriter.WriterOptions))
            {
                foreach (var e in events)
                {
                    writer.Write(json, e, 0);
                    json.Flush();
                }
            }

            bytes = counter.BytesWritten + events.Count; // + one comma per record
        }

        // Expected bytes for a full run at scale s: bytes * (s / sampleScale) * sum over days and regions of relative volume.
        double relative = 0;
        for (var d = 0; d < options.Days; d++)
        {
            var season = DayPlanner.Season(options.StartDate.AddDays(d)) / DayPlanner.Season(sampleDay);
            for (var r = 0; r < pop.Regions.Count; r++)
            {
                relative += season * pop.KmsRatePerDay(r) / k0;
            }
        }

        var perUnitScale = bytes / sampleScale * relative;
        return Math.Max(1e-6, options.TargetUncompressedBytes / perUnitScale);
    }
}
