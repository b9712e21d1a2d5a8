namespace Pipeline.Cli.Commands;

/// <summary>Process exit codes shared by the commands, so scripts can tell bad SQL from a bad path.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The SQL or the operation failed (message on stderr).</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments or configuration, or a missing input or dataset folder: nothing was done.</summary>
    public const int UsageError = 2;
}
