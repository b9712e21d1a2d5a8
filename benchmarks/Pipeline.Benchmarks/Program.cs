using BenchmarkDotNet.Running;

namespace Pipeline.Benchmarks;

/// <summary>BenchmarkDotNet entry point; exits non-zero when a benchmark fails so CI notices.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
