using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Cli.Commands;

/// <summary>
/// Shows progress of long work on stderr: a redrawn bar when stderr is a terminal, a plain line every
/// <see cref="LogInterval"/> otherwise (CI logs, containers), so output stays readable in both.
/// </summary>
internal sealed class ProgressDisplay : IAsyncDisposable
{
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);
    private readonly Func<(double Fraction, string Text)> _read;
    private readonly TextWriter _out;
    private readonly bool _interactive;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ProgressDisplay(Func<(double Fraction, string Text)> read, TextWriter? output = null, bool? interactive = null)
    {
        _read = read;
        _out = output ?? Console.Error;
        _interactive = interactive ?? (!Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null);
        _loop = Task.Run(LoopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        if (_interactive)
        {
            Draw();
            _out.WriteLine();
        }
    }

    private async Task LoopAsync()
    {
        var sinceLog = Stopwatch.StartNew();
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_interactive ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_interactive)
            {
                Draw();
            }
            else if (sinceLog.Elapsed >= LogInterval)
            {
                var (fraction, text) = _read();
                _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress {fraction * 100:F0}%: {text}"));
                sinceLog.Restart();
            }
        }
    }

    private void Draw()
    {
        const int width = 30;
        var (fraction, text) = _read();
        var filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * width);
        _out.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{new string('#', filled)}{new string('-', width - filled)}] {fraction * 100,3:F0}% {text}\u001b[K"));
    }
}
