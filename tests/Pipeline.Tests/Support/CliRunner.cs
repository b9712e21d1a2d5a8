using System.CommandLine;

namespace Pipeline.Tests.Support;

/// <summary>Runs the real CLI in-process with captured stdout/stderr.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Pipeline.Cli.Program.InvokeAsync(Pipeline.Cli.Program.BuildRoot().Parse(args), new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
