using System.Diagnostics;

namespace Pipeline.Tests.Support;

/// <summary>
/// Runs Debian's headless Chromium against a local file with a fresh profile and a timeout. Browser tests fail, never
/// skip, when it is missing: a skipped rendering test would let a broken report.html pass CI unnoticed.
/// </summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    public const string MissingMessage = "install chromium (apt-get install -y chromium)";

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Flags that keep a headless run offline, quiet and independent of any profile or shared memory size.</summary>
    private static readonly string[] BaseFlags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars", "--mute-audio",
    ];

    public static void EnsureInstalled()
    {
        if (!File.Exists(ExecutablePath))
        {
            Assert.Fail(MissingMessage);
        }
    }

    public static async Task ScreenshotAsync(string htmlPath, string pngPath, int width, int height)
    {
        var (exit, output, error) = await RunAsync(
            [$"--window-size={width},{height}", "--screenshot=" + pngPath, new Uri(htmlPath).AbsoluteUri]);
        Assert.True(exit == 0 && File.Exists(pngPath), $"chromium --screenshot failed with exit {exit}: {output}\n{error}");
    }

    public static async Task<string> DumpDomAsync(string htmlPath)
    {
        var (exit, output, error) = await RunAsync(["--window-size=1280,2000", "--dump-dom", new Uri(htmlPath).AbsoluteUri]);
        Assert.True(exit == 0 && output.Length > 0, $"chromium --dump-dom failed with exit {exit}: {error}");
        return output;
    }

    /// <summary>Runs with a throwaway --user-data-dir; kills the whole process tree if it outlives the timeout.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        EnsureInstalled();
        var profile = Path.Combine(Path.GetTempPath(), "pipeline-chromium", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var psi = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var flag in BaseFlags)
        {
            psi.ArgumentList.Add(flag);
        }

        psi.ArgumentList.Add("--user-data-dir=" + profile);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(psi) ?? throw new InvalidOperationException("chromium did not start");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"chromium did not finish within {(timeout ?? DefaultTimeout).TotalSeconds} s: {await stderr}");
            }

            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A helper process may still hold a lock file for a moment; the temp folder is disposable.
            }
        }
    }
}
