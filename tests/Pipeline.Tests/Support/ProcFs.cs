using System.Globalization;

namespace Pipeline.Tests.Support;

/// <summary>Memory and CPU time of another process, read from Linux's /proc (null when the process is gone).</summary>
internal static class ProcFs
{
    /// <summary>Clock ticks per second of /proc/&lt;pid&gt;/stat times (USER_HZ, 100 on every Linux ABI .NET runs on).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>A <c>/proc/&lt;pid&gt;/status</c> field in bytes, e.g. <c>VmRSS</c> (resident now) or <c>VmHWM</c> (peak resident).</summary>
    public static long? StatusBytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var value = line.AsSpan(field.Length + 1).Trim();
                    return long.Parse(value[..value.IndexOf(' ')], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>User plus system CPU time the process has used so far (<c>/proc/&lt;pid&gt;/stat</c> fields 14 and 15).</summary>
    public static TimeSpan? CpuTime(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may contain spaces: count fields after its closing one.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
