using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pipeline.Tests.Emulator.Worker;

/// <summary>The real <c>pipeline worker</c> executable in a child process, configured only through environment variables.</summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private readonly Process _process;

    private WorkerProcess(Process process) => _process = process;

    public ConcurrentQueue<string> Output { get; } = new();

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string OutputText => string.Join("\n", Output);

    public static WorkerProcess Start(EmulatorFixture emulator, IReadOnlyDictionary<string, string?> settings)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pipeline.dll"));
        psi.ArgumentList.Add("worker");
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("Worker__", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(name);
        }

        foreach (var (name, value) in emulator.AwsEnvironment())
        {
            psi.Environment[name] = value;
        }

        // Debug unless the settings say otherwise (a load test logs at the production level).
        psi.Environment["Logging__LogLevel__Default"] = "Debug";
        foreach (var (name, value) in settings)
        {
            psi.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the worker process");
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.Add(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> lines containing <paramref name="text"/> have appeared (or the process ends,
    /// or the time is up), watching every few milliseconds; returns how many there are.
    /// </summary>
    public async Task<int> WaitForOutputCountAsync(string text, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var seen = Output.Count(l => l.Contains(text, StringComparison.Ordinal));
            if (seen >= count || _process.HasExited || DateTime.UtcNow >= deadline)
            {
                return seen;
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Waits until a line containing <paramref name="text"/> appears (or the process ends).</summary>
    public async Task<bool> WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                return true;
            }

            if (_process.HasExited)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return false;
    }

    /// <summary>SIGKILL: no chance to flush, delete or release anything.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as a container runtime sends on stop.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException("kill(SIGTERM) failed: errno " + Marshal.GetLastPInvokeError());
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            Output.Enqueue(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
