using System.CommandLine;

namespace Pipeline.Cli.Commands;

/// <summary>Every sub-command of the CLI, in the order <c>--help</c> lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return GenerateCommand.Create();
    }
}
