using System.Buffers;

namespace SwooleGateway.Protocol.Commands;

/// <summary>Runs an application command registered on the gateway (status 4 when there is none of that name).</summary>
internal readonly record struct CustomCommand(string Name, ReadOnlySequence<byte> Payload) : ICommand<CustomCommand, BytesResult>
{
    public static uint Op => 32;

    public static string Schema => "name:str, payload:bin";

    public void Write(ref FieldWriter writer)
    {
        writer.String(Name);
        writer.Bytes(Payload);
    }

    public static CustomCommand Read(ref FieldReader reader) => new(reader.Key("command name"), reader.Bytes());
}
