using System.Runtime.InteropServices;

namespace Pipeline.Sink;

/// <summary>POSIX <c>link(2)</c>: a second name for an existing file, without a new inode or data blocks.</summary>
internal static partial class HardLink
{
    private const int EEXIST = 17;

    /// <summary>Where hard links can be made with <c>link(2)</c> (Linux, macOS); elsewhere callers write copies.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();

    /// <summary>
    /// Links <paramref name="newPath"/> to <paramref name="existingPath"/>. Returns <see cref="LinkResult.Exists"/> when
    /// <paramref name="newPath"/> is already taken and <see cref="LinkResult.Unsupported"/> when the file system refuses
    /// hard links (some network or FUSE mounts) or the platform has no <c>link(2)</c>.
    /// </summary>
    public static LinkResult TryCreate(string existingPath, string newPath)
    {
        if (!IsSupported)
        {
            return LinkResult.Unsupported;
        }

        if (Link(existingPath, newPath) == 0)
        {
            return LinkResult.Created;
        }

        return Marshal.GetLastPInvokeError() == EEXIST ? LinkResult.Exists : LinkResult.Unsupported;
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existingPath, string newPath);
}

/// <summary>Outcome of <see cref="HardLink.TryCreate"/>.</summary>
internal enum LinkResult
{
    Created,
    Exists,
    Unsupported,
}
