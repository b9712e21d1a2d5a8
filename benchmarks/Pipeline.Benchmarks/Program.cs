using BenchmarkDotNet.Running;
using Pipeline.Benchmarks.Throughput;

namespace Pipeline.Benchmarks;

/// <summary>
/// BenchmarkDotNet entry point; exits non-zero when a benchmark fails so CI notices. The first argument
/// <c>throughput</c> runs the end-to-end harness instead (see benchmarks/README.md).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == ThroughputCommand.Name)
        {
            return ThroughputCommand.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == Reporting.ReportScaleCommand.Name)
        {
            return Reporting.ReportScaleCommand.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == MeasureChild.Name)
        {
            return MeasureChild.Run(args[1..]);
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
