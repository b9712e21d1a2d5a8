namespace Pipeline.Cli.Commands;

/// <summary>Process exit codes shared by the commands, so scripts can tell bad SQL from a bad path.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The SQL or the operation failed (message on stderr).</summary>
    public const int Failure = 1;

    /// <summary>The dataset directory does not exist.</summary>
    public const int DatasetNotFound = 2;
}
